import { nodeCrypto } from "../util/lazy-crypto.js";
import { InvalidIdError } from "./errors.js";

// Every pattern is anchored and excludes "/", "\\" and "..": a valid id is always one safe path
// component, which is why ids are checked before any path is built from them.
const JOB_ID = /^job-\d{14}-[a-z0-9]{6}$/;
const WAKE_ID = /^wake-\d{14}-[a-z0-9]{6}$/;
const CHAT_ID = /^c-[a-z0-9]{16}$/;
const AGENT_SEGMENT = "[a-zA-Z0-9][a-zA-Z0-9_-]*";
const AGENT_NAME = new RegExp(`^${AGENT_SEGMENT}(?:\\.${AGENT_SEGMENT})*$`);
const AGENT_NAME_MAX = 128;
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/**
 * `job-YYYYMMDDHHMMSS-xxxxxx` in UTC: ids sort by creation second, and the random suffix keeps
 * ids minted in the same second apart.
 */
export function mintJobId(now: Date = new Date()): string {
  return mintId("job", now);
}

/** `wake-YYYYMMDDHHMMSS-xxxxxx`, like a job id. */
export function mintWakeId(now: Date = new Date()): string {
  return mintId("wake", now);
}

export function isWakeId(value: unknown): value is string {
  return typeof value === "string" && WAKE_ID.test(value);
}

/** `c-` and 16 random characters: a chat id says nothing about when or by whom it was made. */
export function mintChatId(): string {
  let suffix = "";
  for (let i = 0; i < 16; i++) suffix += SUFFIX_ALPHABET[nodeCrypto().randomInt(SUFFIX_ALPHABET.length)];
  return `c-${suffix}`;
}

const APPROVAL_ID = /^apr-[a-z0-9]{8}$/;

/** `apr-` and 8 random characters: short enough to type in a chat reply ("approve apr-…"). */
export function mintApprovalId(): string {
  let suffix = "";
  for (let i = 0; i < 8; i++) suffix += SUFFIX_ALPHABET[nodeCrypto().randomInt(SUFFIX_ALPHABET.length)];
  return `apr-${suffix}`;
}

export function isApprovalId(value: unknown): value is string {
  return typeof value === "string" && APPROVAL_ID.test(value);
}

export function isChatId(value: unknown): value is string {
  return typeof value === "string" && CHAT_ID.test(value);
}

function mintId(prefix: string, now: Date): string {
  const stamp =
    pad(now.getUTCFullYear(), 4) +
    pad(now.getUTCMonth() + 1, 2) +
    pad(now.getUTCDate(), 2) +
    pad(now.getUTCHours(), 2) +
    pad(now.getUTCMinutes(), 2) +
    pad(now.getUTCSeconds(), 2);
  let suffix = "";
  for (let i = 0; i < 6; i++) suffix += SUFFIX_ALPHABET[nodeCrypto().randomInt(SUFFIX_ALPHABET.length)];
  return `${prefix}-${stamp}-${suffix}`;
}

export function isJobId(value: unknown): value is string {
  return typeof value === "string" && JOB_ID.test(value);
}

export function assertJobId(value: unknown): string {
  if (!isJobId(value)) throw new InvalidIdError("job id", value);
  return value;
}

export function isAgentName(value: unknown): value is string {
  return typeof value === "string" && value.length <= AGENT_NAME_MAX && AGENT_NAME.test(value);
}

export function assertAgentName(value: unknown): string {
  if (!isAgentName(value)) throw new InvalidIdError("agent name", value);
  return value;
}

export function isSessionId(value: unknown): value is string {
  return typeof value === "string" && SESSION_ID.test(value);
}

export function assertSessionId(value: unknown): string {
  if (!isSessionId(value)) throw new InvalidIdError("session id", value);
  return value;
}
