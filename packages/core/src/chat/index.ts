export { DEFAULT_SESSION_EXPIRY_HOURS } from "./expiry.js";
export { type ChatSendOptions, MAX_CHAT_MESSAGE_CHARS } from "./service.js";
export {
  CHAT_SURFACES,
  type ChatMessageRecord,
  type ChatRecord,
  type ChatSettings,
  type ChatSurface,
  type ChatToolCall,
} from "./types.js";
