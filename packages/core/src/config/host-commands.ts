import type { ResolvedAgent } from "./types.js";

// Apart from isolation.ts (which reads YAML source positions), so that what runs a job
// (runner/hook-placement.ts) decides where a hook runs without loading the YAML parser.

/**
 * True when the agent may already run any command on the host: Bash without a pattern, or a
 * permission mode that approves every call unchecked (bypassPermissions only). Such an agent gains
 * nothing from a shell hook. `auto` does not count: claude's classifier reviews each command there,
 * and a hook would run with no review at all.
 */
export function mayRunHostCommands(agent: ResolvedAgent): boolean {
  if (agent.docker?.enabled) return false;
  if (agent.tools !== undefined && !agent.tools.includes("Bash")) return false;
  if (agent.denied_tools?.some((rule) => rule === "Bash" || rule.startsWith("Bash("))) return false;
  if (agent.permission_mode === "bypassPermissions") return true;
  return (agent.allowed_tools ?? []).some((rule) => rule === "Bash" || rule === "Bash(*)");
}
