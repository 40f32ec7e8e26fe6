/** Errors the stand-in raises itself; `code` is stable for callers and tests. */
export class StandinError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "StandinError";
  }
}

export class DirectiveError extends StandinError {
  constructor(
    readonly line: string,
    reason: string,
  ) {
    super("STANDIN_BAD_DIRECTIVE", `Invalid stand-in directive "${line}": ${reason}`);
    this.name = "DirectiveError";
  }
}

export class UsageError extends StandinError {
  constructor(message: string) {
    super("STANDIN_USAGE", message);
    this.name = "UsageError";
  }
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

const DEFAULT_MESSAGES: Record<number, string> = {
  429: "Rate limited by the herdctl stand-in.",
  500: "Internal server error from the herdctl stand-in.",
  529: "Overloaded (herdctl stand-in).",
};

export function apiErrorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

/** Body in the Messages API error shape: `{ type: "error", error: { type, message } }`. */
export function apiErrorBody(status: number, message?: string): Record<string, unknown> {
  return {
    type: "error",
    error: { type: apiErrorType(status), message: message ?? DEFAULT_MESSAGES[status] ?? `HTTP ${status}` },
  };
}
