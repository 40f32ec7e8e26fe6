import type { RuntimeType } from "../runner/runtime/interface.js";

/** What `herdctl init agent` asks for; everything else gets a commented default. */
export interface AgentTemplate {
  name: string;
  prompt: string;
  runtime: RuntimeType;
  docker: boolean;
  /** One schedule named after its kind, or none. */
  schedule?: { type: "interval"; interval: string } | { type: "cron"; cron: string };
}

function yamlString(text: string): string {
  // JSON strings are valid YAML double-quoted scalars, escapes and all.
  return JSON.stringify(text);
}

/**
 * A new agent file: valid YAML whose comments say what each part does and what to try next. The
 * schedule is written disabled, because a schedule that fires spends tokens.
 */
export function agentYaml(t: AgentTemplate, workingDirectory: string): string {
  const lines = [
    `# Agent ${t.name}. Try it without spending tokens: herdctl trigger ${t.name} --offline --wait`,
    `name: ${t.name}`,
    "description: What this agent is for, in a line",
    `# The folder it works in, relative to this file; created if missing by "herdctl init".`,
    `working_directory: ${yamlString(workingDirectory)}`,
    `# sdk: the Claude Agent SDK in-process; cli: the claude command line. Both run the same claude.`,
    `runtime: ${t.runtime}`,
    `default_prompt: ${yamlString(t.prompt)}`,
    "# acceptEdits: file edits run without asking; other tools only if listed in allowed_tools.",
    "permission_mode: acceptEdits",
  ];
  if (t.docker) {
    lines.push(
      "# Runs in a hardened container; the fleet file decides its image, network and mounts.",
      "docker:",
      "  enabled: true",
    );
  }
  if (t.schedule) {
    const kind = t.schedule.type;
    lines.push("schedules:", `  ${kind === "interval" ? "every" : "cron"}:`, `    type: ${kind}`);
    if (t.schedule.type === "interval") lines.push(`    interval: ${t.schedule.interval}`);
    else lines.push(`    cron: ${yamlString(t.schedule.cron)}`);
    lines.push(
      "    # Off until you turn it on (herdctl schedules enable): a schedule that fires spends tokens.",
      "    enabled: false",
    );
  }
  return `${lines.join("\n")}\n`;
}
