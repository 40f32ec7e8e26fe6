export { API_VERSION, type ApiOptions, createApi, type DashboardLink } from "./api.js";
export { type ApiErrorBody, apiError } from "./api-errors.js";
export { API_BODY_LIMIT, limitBody } from "./body-limit.js";
export { ControlClient, ControlError } from "./client.js";
export { serveControlSocket } from "./server.js";
