import { statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** Files claude may read as it starts in a directory: its instructions, settings and MCP servers. */
function startupFiles(cwd: string, env: Record<string, string>): string[] {
  const configDir = env.CLAUDE_CONFIG_DIR ?? join(env.HOME ?? homedir(), ".claude");
  return [
    join(cwd, "CLAUDE.md"),
    join(cwd, "CLAUDE.local.md"),
    join(cwd, ".claude", "CLAUDE.md"),
    join(cwd, ".claude", "settings.json"),
    join(cwd, ".claude", "settings.local.json"),
    join(cwd, ".mcp.json"),
    join(configDir, "CLAUDE.md"),
    join(configDir, "settings.json"),
  ];
}

/**
 * The modification time and size of each file claude may have read while it started: a warm
 * claude whose files changed since is not used, so an edit is never missed.
 */
export function workspaceStamp(cwd: string, env: Record<string, string>): string {
  return startupFiles(cwd, env)
    .map((file) => {
      const stat = statSync(file, { throwIfNoEntry: false });
      return stat ? `${stat.mtimeMs}:${stat.size}` : "-";
    })
    .join("|");
}
