export { type AgentDescription, type AgentDetails, agentDetails, describeAgent } from "./describe.js";
export type { EnvNeed, EnvReference } from "./env-scan.js";
export { type AgentInstallCode, AgentInstallError } from "./errors.js";
export { AGENT_FILE, AGENTS_DIR, type InstallRequest, type InstallResult, installAgent } from "./install.js";
export { type AgentReach, agentReach } from "./reach.js";
export { SOURCE_RECORD, type SourceRecord } from "./record.js";
export { type RemoveResult, removeAgent } from "./remove.js";
export { type AgentSource, parseAgentSource } from "./source.js";
export { LIMITS as AGENT_LIMITS } from "./tree.js";
