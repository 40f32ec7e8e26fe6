// The public API of @herdctl/web.
export { AccessPolicy, isLoopbackBind, sessionCookieName } from "./access.js";
export { WebError, type WebErrorCode } from "./errors.js";
export { SECURITY_HEADERS } from "./headers.js";
export {
  DEFAULT_WEB_HOST,
  DEFAULT_WEB_PORT,
  startWebServer,
  type WebServer,
  type WebServerOptions,
} from "./server.js";
export { TOKEN_FILE } from "./token.js";
export { MAX_WEBHOOK_BODY } from "./webhooks.js";
