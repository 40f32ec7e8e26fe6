import { dirname, relative, sep } from "node:path";
import type { ResolvedAgent } from "../config/types.js";

/**
 * What an installed agent will be able to do once the fleet runs it, in the terms the operator
 * decides by: where it works, how freely it acts, what it runs and where it sends results. Shown
 * by `agent add`, because a schedule may start it as soon as a running daemon reloads.
 */
export interface AgentReach {
  /** Relative to the fleet folder. */
  workingDirectory: string;
  /** The working directory is the agent's own folder (or inside it). */
  ownFolder: boolean;
  permissionMode: string;
  /** null: the permission mode's defaults. */
  allowedTools: string[] | null;
  docker: boolean;
  /** The commands of its shell hooks, as written. */
  shellHooks: string[];
  /** The hosts its webhook hooks send job results to. */
  webhookHooks: string[];
  /** Its MCP servers: name, and the command it starts or the host it calls. */
  mcpServers: string[];
  schedules: string[];
}

/** `redact` hides secret values the configuration interpolated (a token in a hook's command). */
export function agentReach(
  agent: ResolvedAgent,
  rootDir: string,
  redact: (text: string) => string,
): AgentReach {
  const agentDir = dirname(agent.configPath);
  const inside = relative(agentDir, agent.working_directory);
  const hooks = [
    ...(agent.hooks?.after_run ?? []),
    ...(agent.hooks?.on_error ?? []),
    ...(agent.hooks?.budget_exceeded ?? []),
    ...(agent.hooks?.usage_limited ?? []),
  ];
  return {
    workingDirectory: relative(rootDir, agent.working_directory).split(sep).join("/") || ".",
    ownFolder: inside === "" || (!inside.startsWith("..") && !inside.startsWith(sep)),
    permissionMode: String(agent.permission_mode ?? "default"),
    allowedTools: agent.allowed_tools ?? null,
    docker: agent.docker?.enabled === true,
    shellHooks: hooks.flatMap((h) => (h.type === "shell" ? [redact(h.command)] : [])),
    // The host only: a webhook URL often is the credential (a Slack incoming webhook).
    webhookHooks: hooks.flatMap((h) => (h.type === "webhook" ? [hostOf(h.url)] : [])),
    mcpServers: Object.entries(agent.mcp_servers ?? {}).map(([name, server]) => {
      const s = server as { command?: string; args?: string[]; url?: string };
      return s.command !== undefined
        ? `${name} (runs ${redact([s.command, ...(s.args ?? [])].join(" "))})`
        : `${name} (${hostOf(s.url ?? "")})`;
    }),
    schedules: Object.keys(agent.schedules ?? {}),
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "an invalid URL";
  }
}
