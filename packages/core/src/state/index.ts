export type {
  ApprovalChannel,
  ApprovalDecisionRecord,
  ApprovalRecord,
  ApprovalState,
  NewApproval,
} from "./approvals.js";
export { APPROVAL_CHANNELS, APPROVAL_STATES, ApprovalRepository } from "./approvals.js";
export type { AuditEntry, AuditQuery, AuditVerification, NewAuditEntry } from "./audit.js";
export { AuditRepository } from "./audit.js";
export type { NewChatMessage, StoredChat } from "./chats.js";
export { ChatRepository } from "./chats.js";
export type { Db, Migration } from "./db.js";
export { MIGRATIONS, type OpenVerification, openDatabase } from "./db.js";
export {
  CorruptDatabaseError,
  CorruptOutputError,
  DiskFullError,
  type IdKind,
  InvalidIdError,
  InvalidTransitionError,
  JobNotFoundError,
  SchemaTooNewError,
  StateError,
  type StateErrorCode,
  StateLockedError,
  StateNotOpenError,
} from "./errors.js";
export type { EventQuery, EventRecord, NewEvent } from "./events.js";
export { EventRepository } from "./events.js";
export {
  assertAgentName,
  assertJobId,
  assertSessionId,
  isAgentName,
  isApprovalId,
  isChatId,
  isJobId,
  isSessionId,
  isWakeId,
  mintJobId,
} from "./ids.js";
export type {
  FollowOutputOptions,
  JobOutputLine,
  OutputPage,
  OutputPageOptions,
  ReadOutputOptions,
  StoredOutputLine,
} from "./job-output.js";
export { JobOutputStore } from "./job-output.js";
export type { JobListQuery } from "./job-query.js";
export type {
  AgentMetadata,
  ExitReason,
  HookError,
  JobOutcome,
  JobPatch,
  JobRecord,
  JobStart,
  ModelUsage,
  NewJob,
  RuntimeKind,
  ToolFailure,
  TriggerType,
} from "./job-record.js";
export { RUNTIME_KINDS, TRIGGER_TYPES } from "./job-record.js";
export type { ActiveJobStatus, JobStatus, TerminalJobStatus } from "./job-status.js";
export { allowedNextStatuses, isJobStatus, isTerminalStatus, JOB_STATUSES } from "./job-status.js";
export type { JobPage, UnfinishedFilter } from "./jobs.js";
export { JobRepository } from "./jobs.js";
export type { DaemonLock } from "./lock.js";
export { acquireLock, isProcessAlive } from "./lock.js";
export type { StateBackend, StateManagerOptions } from "./manager.js";
export { StateManager } from "./manager.js";
export type { MemoryVersion, NewMemoryVersion } from "./memory.js";
export { MemoryRepository } from "./memory.js";
export type { RetentionLimits, RetentionPlan } from "./retention.js";
export { RetentionRepository } from "./retention.js";
export type { ScheduleRunStatus, ScheduleState, ScheduleStatePatch } from "./schedules.js";
export { ScheduleRepository } from "./schedules.js";
export type { SaveSession, SessionPointer } from "./sessions.js";
export { SessionRepository } from "./sessions.js";
export type { UsageCell, UsageGrouping, UsageRange, UsageSums } from "./usage.js";
export { UsageRepository } from "./usage.js";
export type { UsagePause } from "./usage-pauses.js";
export { UsagePauseRepository } from "./usage-pauses.js";
export type { NewWake, WakeKind, WakeRecord, WakeStatus } from "./wakes.js";
export { WakeRepository } from "./wakes.js";
