export type SessionErrorCode =
  | "SESSION_JOB_OF_OTHER_AGENT"
  | "SESSION_JOB_ACTIVE"
  | "SESSION_JOB_HAS_NO_SESSION"
  | "SESSION_PLACE_CHANGED"
  | "SESSION_TRANSCRIPT_NOT_FOUND"
  | "SESSION_TRANSCRIPT_UNREADABLE";

/** A fork or an adoption that cannot go ahead; the message says what to do instead. */
export class SessionError extends Error {
  constructor(
    readonly code: SessionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SessionError";
  }
}
