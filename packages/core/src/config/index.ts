export { findConfigFile, resolveConfigPath } from "./discover.js";
export { DurationError, parseDuration } from "./duration.js";
export { envValue } from "./env-refs.js";
export { ConfigError, type ConfigIssue, formatIssue } from "./errors.js";
export { type InlineAgent, type LoadOptions, loadFleet } from "./load.js";
export {
  type AgentDefinition,
  FLEET_OBJECT,
  type FleetDefinition,
  type LoadFleetObjectOptions,
  loadFleetObject,
  type ScheduleDefinition,
} from "./object.js";
export type { ResolvedPlugin } from "./plugins.js";
export { REDACTED, redactConfig } from "./redact.js";
export { type ScheduleSessionPolicy, scheduleSessionPolicy } from "./schedule-session.js";
export type {
  AgentConfig,
  AgentDockerConfig,
  ApprovalsConfig,
  FleetDefaults,
  HookConfig,
  McpServerConfig,
  PermissionMode,
  PluginConfig,
  RetryConfig,
  Schedule,
  ShellHookConfig,
  WakesConfig,
  WebConfig,
  WebhookHookConfig,
  WebhooksConfig,
} from "./schema.js";
export {
  AGENT_DOCKER_KEYS,
  FLEET_ONLY_DOCKER_KEYS,
  MEMORY_DEFAULT_MAX_BYTES,
  MEMORY_MAX_BYTES_LIMIT,
  NAME_PATTERN,
} from "./schema.js";
export type { LoadedFleet, ResolvedAgent, ResolvedFleet } from "./types.js";
export { type WrittenValue, withWrittenValues } from "./written.js";
