import type { ResolvedAgent } from "../../config/index.js";

/**
 * How the CLI runtime gives claude the agent's MCP servers without putting them on its command
 * line, which every local user can read (/proc/<pid>/cmdline, `ps`), and the servers' `env` and
 * `headers` are often tokens. claude is told `--mcp-config=/dev/fd/3`; the JSON travels in the
 * environment (readable only by the same user, and by nobody once the variable is gone) to a
 * small `/bin/sh` step that puts it on fd 3 as a here-document (a real pipe, which claude can
 * open by that path; Node's own extra stdio are sockets, which it cannot), removes the variable,
 * and execs claude. The same step works wherever the launcher runs the command: on the host, and
 * inside the agent's container through `docker exec`. The script is constant; the JSON is only
 * ever expanded by the shell as a variable's value, never read as shell code.
 */
export const MCP_CONFIG_PATH = "/dev/fd/3";
export const MCP_CONFIG_VAR = "HERDCTL_MCP_CONFIG";

const ON_FD_3 = `exec 3<<HERDCTL_MCP_CONFIG_END
$${MCP_CONFIG_VAR}
HERDCTL_MCP_CONFIG_END
unset ${MCP_CONFIG_VAR}
exec "$@"`;

/** The JSON `--mcp-config` reads for the agent's servers; undefined when it has none. */
export function mcpConfigOf(agent: Pick<ResolvedAgent, "mcp_servers">): string | undefined {
  if (!agent.mcp_servers || Object.keys(agent.mcp_servers).length === 0) return undefined;
  return JSON.stringify({ mcpServers: agent.mcp_servers });
}

/**
 * The command, argv and environment that start `claudePath args` with the agent's MCP servers on
 * fd 3; unchanged when the agent has none.
 */
export function withMcpConfigOnFd3(
  agent: Pick<ResolvedAgent, "mcp_servers">,
  claudePath: string,
  args: string[],
  env: Record<string, string>,
): { command: string; args: string[]; env: Record<string, string> } {
  const config = mcpConfigOf(agent);
  if (config === undefined) return { command: claudePath, args, env };
  return {
    command: "/bin/sh",
    args: ["-c", ON_FD_3, "sh", claudePath, ...args],
    env: { ...env, [MCP_CONFIG_VAR]: config },
  };
}
