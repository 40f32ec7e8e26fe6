// `init`: the agent template, the --schedule parser and adding an agent to a fleet file.
export { scaffoldAgent } from "@herdctl/core/internal/agent-scaffold/create";
export { parseScheduleFlag } from "@herdctl/core/internal/agent-scaffold/schedule-flag";
export { agentYaml } from "@herdctl/core/internal/agent-scaffold/template";
