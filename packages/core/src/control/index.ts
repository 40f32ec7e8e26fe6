export { API_VERSION, type ApiOptions, createApi } from "./api.js";
export { type ApiErrorBody, apiError } from "./api-errors.js";
export { ControlClient, ControlError } from "./client.js";
export { serveControlSocket } from "./server.js";
