import type { Context } from "hono";
import { ConfigError } from "../config/index.js";
import { FleetError } from "../fleet-manager/errors.js";
import { MemoryError, type MemoryErrorCode } from "../memory/edit.js";
import { ScheduleEditError } from "../schedule-edit/errors.js";
import { SessionError } from "../sessions/errors.js";
import { StateError } from "../state/index.js";

export interface ApiErrorBody {
  error: { code: string; message: string };
}

const FLEET_STATUS: Record<string, 400 | 402 | 403 | 404 | 409 | 429 | 503> = {
  FLEET_OVER_BUDGET: 402,
  FLEET_AGENT_NOT_FOUND: 404,
  CHAT_NOT_FOUND: 404,
  CHAT_BAD_REQUEST: 400,
  CHAT_WAITING_APPROVAL: 409,
  FLEET_SCHEDULE_NOT_FOUND: 404,
  FLEET_WAKE_NOT_FOUND: 404,
  FLEET_APPROVAL_NOT_FOUND: 404,
  FLEET_APPROVAL_DECIDED: 409,
  FLEET_APPROVAL_REFUSED: 403,
  FLEET_AT_CAPACITY: 409,
  FLEET_JOB_NOT_ACTIVE: 409,
  FLEET_PRUNE_RUNNING: 409,
  FLEET_NO_PROMPT: 400,
  FLEET_QUEUE_FULL: 429,
  FLEET_USAGE_LIMITED: 429,
  FLEET_STOPPING: 503,
};

const MEMORY_STATUS: Record<MemoryErrorCode, 404 | 409 | 413> = {
  MEMORY_OFF: 409,
  MEMORY_TOO_BIG: 413,
  MEMORY_VERSION_NOT_FOUND: 404,
};

const STATE_STATUS: Record<string, 400 | 404 | 409 | 507> = {
  STATE_INVALID_ID: 400,
  STATE_JOB_NOT_FOUND: 404,
  STATE_INVALID_TRANSITION: 409,
  STATE_DISK_FULL: 507,
};

const SCHEDULE_EDIT_STATUS: Record<string, 400 | 409> = {
  SCHEDULE_BAD_REQUEST: 400,
  SCHEDULE_INVALID: 400,
  SCHEDULE_EXISTS: 409,
  SCHEDULE_NOT_EDITABLE: 409,
  SCHEDULE_FILE_CONFLICT: 409,
  SCHEDULE_FILE_UNREADABLE: 409,
};

export function apiError(c: Context, status: number, code: string, message: string): Response {
  return c.json({ error: { code, message } } satisfies ApiErrorBody, status as 400);
}

/** Known failures become JSON with a stable code; anything else is a 500 without internals. */
export function toApiError(c: Context, error: unknown): Response {
  const { status, code, message } = apiErrorOf(error);
  return apiError(c, status, code, message);
}

/** The status, code and message a failure is reported with (also inside a stream already open). */
export function apiErrorOf(error: unknown): { status: number; code: string; message: string } {
  const known = (status: number, e: { code: string; message: string }) => ({
    status,
    code: e.code,
    message: e.message,
  });
  if (error instanceof FleetError) return known(FLEET_STATUS[error.code] ?? 400, error);
  if (error instanceof StateError) return known(STATE_STATUS[error.code] ?? 500, error);
  if (error instanceof SessionError)
    return known(error.code === "SESSION_TRANSCRIPT_NOT_FOUND" ? 404 : 409, error);
  if (error instanceof ScheduleEditError) return known(SCHEDULE_EDIT_STATUS[error.code] ?? 400, error);
  if (error instanceof ConfigError) return known(400, error);
  if (error instanceof MemoryError) return known(MEMORY_STATUS[error.code], error);
  return {
    status: 500,
    code: "INTERNAL",
    message: "the server failed to handle this request; see the daemon log",
  };
}
