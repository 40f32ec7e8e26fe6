export {
  buildApprovalHookContext,
  buildHookContext,
  HOOK_CONTEXT_FIELDS,
  type HookAgentInfo,
  type HookApproval,
  type HookBudget,
  type HookContext,
  type HookEvent,
  type HookJob,
  type HookTokens,
  type HookUsageLimit,
  TERMINAL_STATUSES,
} from "./context.js";
export { type DiscordHookSpec, discordNotice, runDiscordHook } from "./discord.js";
export { HookContextError, HookFailure, type HookFailureCode, WhenSyntaxError } from "./errors.js";
export {
  type AgentHooks,
  type HookResult,
  type HookSpec,
  ON_ERROR_EVENTS,
  type RunHooksOptions,
  runHooks,
  type ShellPlacement,
  selectHooks,
} from "./run-hooks.js";
export { DEFAULT_SHELL_TIMEOUT_MS, runShellHook, type ShellHookSpec, shellHookEnv } from "./shell.js";
export {
  GITHUB_DELIVERY_HEADER,
  GITHUB_SIGNATURE_HEADER,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  signBody,
  signTimestamped,
  TIMESTAMP_HEADER,
  type TimestampedCheck,
  timestampedHeaders,
  verifySignature,
  verifyTimestamped,
} from "./signature.js";
export { jobMessage, runSlackHook, type SlackHookSpec } from "./slack.js";
export {
  DEFAULT_WEBHOOK_RETRIES,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  runWebhookHook,
  type WebhookHookSpec,
  type WebhookOptions,
} from "./webhook.js";
export { compileWhen, validateWhen, type WhenFilter } from "./when.js";
