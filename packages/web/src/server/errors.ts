export type WebErrorCode = "WEB_TOKEN_MISSING" | "WEB_LISTEN_FAILED" | "WEB_BAD_OPTIONS";

/** A failure starting or running the web server, with a stable code. */
export class WebError extends Error {
  constructor(
    readonly code: WebErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "WebError";
  }
}
