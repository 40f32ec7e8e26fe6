export { classifyRequest, type RequestClass, type SideReason } from "./classify.js";
export {
  DIRECTIVE_HELP,
  DIRECTIVE_PREFIX,
  type Directive,
  type FaultStatus,
  parseDirectiveLine,
  parseDirectives,
  stripDirectives,
  unescapeArg,
} from "./directives.js";
export type { DiscordChannel, DiscordMessage, DiscordUser } from "./discord/objects.js";
export {
  DISCORD_MESSAGE_LIMIT,
  type DiscordGuild,
  type DiscordInteractionReply,
  type DiscordRequest,
  type DiscordStandin,
  type DiscordStandinOptions,
  discordUser,
  startDiscordStandin,
} from "./discord/server.js";
export { apiErrorBody, DirectiveError, StandinError, UsageError } from "./errors.js";
export { parseStandinArgs, type RunStandinIo, runStandinCommand, STANDIN_USAGE } from "./main.js";
export {
  buildPlan,
  directiveErrorText,
  OFFLINE_INTRO,
  offlineGreeting,
  offlineResponder,
} from "./offline.js";
export { type ContentBlock, type MessageParam, REDACTED, RecordedRequest } from "./recorder.js";
export {
  always,
  bash,
  dropConnection,
  errorReply,
  hang,
  malformed,
  SCRIPT_EXHAUSTED_TEXT,
  scheduleWakeup,
  script,
  textReply,
  toolUse,
  writeFile,
} from "./script.js";
export {
  DEFAULT_MAX_TURNS,
  type Standin,
  type StandinOptions,
  startStandin,
  turnLimitText,
} from "./server.js";
export { SIDE_REPLY_TEXT } from "./side.js";
export * from "./slack/index.js";
export { encodeSse, type SseEvent, splitChunks } from "./sse.js";
export type * from "./types.js";
export { USAGE_LIMIT_MESSAGE, type UsageLimit, usageLimitHeaders } from "./usage-limit.js";
