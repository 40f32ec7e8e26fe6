export { type ScaffoldResult, scaffoldAgent } from "./create.js";
export { AgentScaffoldError } from "./errors.js";
export { parseScheduleFlag } from "./schedule-flag.js";
export { type AgentTemplate, agentYaml } from "./template.js";
