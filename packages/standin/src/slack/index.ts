export {
  type SlackStandin,
  type SlackStandinOptions,
  type SlackUserMessage,
  startSlackStandin,
} from "./server.js";
export type { SlackApiCall, SlackEnvelope, SlackMessage, SlackReaction } from "./types.js";
