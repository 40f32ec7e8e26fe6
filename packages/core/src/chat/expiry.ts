/** web.session_expiry_hours when the config does not set it (the reference's default). */
export const DEFAULT_SESSION_EXPIRY_HOURS = 24;

/** Idle longer than `hours`: the chat's next message starts a fresh claude session. */
export function isChatExpired(lastActiveAt: string, hours: number, now: Date): boolean {
  return now.getTime() - Date.parse(lastActiveAt) > hours * 3_600_000;
}

export function expiryNotice(sessionId: string, hours: number): string {
  return `this chat was idle for more than ${hours} h (web.session_expiry_hours), so its session ${sessionId} expired; this message starts a fresh session, and the agent does not remember the earlier messages`;
}
