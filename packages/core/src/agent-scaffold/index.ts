export { AgentScaffoldError, type ScaffoldResult, scaffoldAgent } from "./create.js";
export { parseScheduleFlag } from "./schedule-flag.js";
export { type AgentTemplate, agentYaml } from "./template.js";
