// Everything @herdctl/core has for herdctl's own CLI and dashboard, as `@herdctl/core/internal`:
// the public API (src/index.ts) and the internals under it, which may change in any release.

export * from "./agent-install/index.js";
export * from "./agent-scaffold/index.js";
export { cleanReason, describeApproval } from "./approvals/index.js";
export type { AuditActor } from "./audit/actor.js";
export type { ConnectorStatus } from "./chat/connectors/types.js";
export * from "./chat/index.js";
export * from "./config/index.js";
export { type FileFixes, type FixChange, fixConfigFiles } from "./config-fix/index.js";
export * from "./control/index.js";
export { DockerError } from "./docker/errors.js";
export { type BuildImageOptions, type BuildImageResult, buildImage } from "./docker/image.js";
export {
  buildCommandFor,
  DEV_IMAGE,
  IMAGE_PROFILES,
  type ImageProfile,
  PROFILE_IMAGES,
} from "./docker/profiles.js";
export { DEFAULT_IMAGE } from "./docker/runtime-image.js";
export { FleetError, type FleetErrorCode } from "./fleet-manager/errors.js";
export {
  type ConfigReloadedEvent,
  FleetEventBus,
  type FleetEventName,
  type FleetEvents,
  type JobMessage,
  type JobOutputEvent,
  type ScheduleFiredEvent,
  type ScheduleSkippedEvent,
} from "./fleet-manager/events.js";
export {
  FleetManager,
  type FleetManagerOptions,
  type McpServerDefinition,
  type ReloadResult,
  type TriggerOptions,
  withUntrustedPayload,
} from "./fleet-manager/fleet-manager.js";
export type { RetryRef } from "./fleet-manager/retries.js";
export { isRetryable } from "./fleet-manager/retry-policy.js";
export {
  type AgentStatus,
  buildAgentStatus,
  type FleetState,
  type FleetStatus,
  type JobRef,
  type ScheduleStatus,
  type WakeRef,
  wakeRef,
} from "./fleet-manager/status.js";
export {
  recentWebhookRejections,
  recordWebhookRejection,
  WEBHOOK_REJECTED,
  type WebhookRejection,
} from "./fleet-manager/webhook-rejections.js";
export {
  GITHUB_DELIVERY_HEADER,
  GITHUB_SIGNATURE_HEADER,
  type HookContext,
  type HookResult,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  signBody,
  signTimestamped,
  TIMESTAMP_HEADER,
  type TimestampedCheck,
  timestampedHeaders,
  verifySignature,
  verifyTimestamped,
} from "./hooks/index.js";
export type { MemoryVersionSummary, MemoryView } from "./memory/index.js";
export {
  type HerdctlNotice,
  JobExecutor,
  type JobExecutorOptions,
  type JobRequest,
  type RunCallbacks,
} from "./runner/job-executor.js";
export { resolveClaudeBinary } from "./runner/runtime/claude-binary.js";
export { ContainerManager } from "./runner/runtime/container-manager.js";
export { ContainerRunner } from "./runner/runtime/container-runner.js";
export { type DockerConfig, DockerConfigError, resolveDockerConfig } from "./runner/runtime/docker-config.js";
export { RuntimeError, type RuntimeFailureReason } from "./runner/runtime/errors.js";
export { RuntimeFactory, type RuntimeFactoryOptions } from "./runner/runtime/factory.js";
export type {
  RuntimeExecuteOptions,
  RuntimeInterface,
  RuntimeMessage,
  RuntimeType,
} from "./runner/runtime/interface.js";
export type { LaunchedProcess, Launcher, LaunchOptions } from "./runner/runtime/launcher.js";
export { HostLauncher } from "./runner/runtime/launcher.js";
export {
  type WorkspaceAccessProblem,
  workspaceAccessProblem,
} from "./runner/runtime/workspace-access.js";
export type { SessionRequest } from "./runner/session-policy.js";
export { describeToolFailures } from "./runner/tool-failures.js";
export {
  editSchedule,
  type ScheduleEditCode,
  ScheduleEditError,
  type ScheduleEditRequest,
  type ScheduleEditResult,
  type ScheduleInput,
} from "./schedule-edit/index.js";
export { type Clock, FakeClock, systemClock } from "./scheduler/index.js";
export { CREDENTIAL_ENV_NAMES, looksSecretName, Redactor } from "./secrets/redactor.js";
export * from "./sessions/index.js";
export type { BudgetStatus } from "./spend/budget.js";
export type {
  AgentUsage,
  DayUsage,
  JobOutcomes,
  TimelineBucket,
  UsageQuery,
  UsageReport,
} from "./spend/usage-report.js";
export * from "./state/index.js";
export { editDistance, nearestNames } from "./util/nearest.js";
export { ownValue } from "./util/own.js";
export { DEFAULT_WAKES, MAX_WAKE_PROMPT_CHARS } from "./wakes/index.js";
