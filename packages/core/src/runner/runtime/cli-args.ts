import type { ResolvedAgent } from "../../config/index.js";
import { settingsWithApprovals } from "./approval-settings.js";
import { hostGuardRules } from "./host-guard.js";
import type { RuntimeExecuteOptions } from "./interface.js";
import { MCP_CONFIG_PATH, mcpConfigOf } from "./mcp-config-fd.js";

function flag(name: string, value: string | number): string {
  // One argv element per flag, as the Agent SDK writes them, so a value that starts with "-"
  // (a system prompt, say) can never be taken for another flag.
  return `${name}=${value}`;
}

/**
 * The claude argv for one run of an agent. Pure, so tests pin it exactly. The prompt is not
 * here: it goes to stdin, where no argument parser or shell can misread it.
 */
export function buildCliArgs(
  agent: ResolvedAgent,
  run: Pick<RuntimeExecuteOptions, "sessionId" | "resume" | "fork" | "guard" | "settings" | "approvals">,
): string[] {
  const args = ["-p", "--output-format", "stream-json", "--verbose"];
  if (run.resume) {
    args.push(flag("--resume", run.resume));
    if (run.fork) args.push("--fork-session");
    if (run.fork && run.sessionId) args.push(flag("--session-id", run.sessionId));
  } else if (run.sessionId) {
    args.push(flag("--session-id", run.sessionId));
  }
  if (agent.model) args.push(flag("--model", agent.model));
  const maxTurns = agent.max_turns ?? agent.session?.max_turns;
  if (maxTurns !== undefined) args.push(flag("--max-turns", maxTurns));
  if (agent.max_budget_usd !== undefined) args.push(flag("--max-budget-usd", agent.max_budget_usd));
  if (agent.permission_mode) {
    args.push(flag("--permission-mode", agent.permission_mode));
    if (agent.permission_mode === "bypassPermissions") args.push("--allow-dangerously-skip-permissions");
  }
  // An empty string means unset (see sdk-options.ts).
  if (typeof agent.system_prompt === "string") {
    if (agent.system_prompt !== "") args.push(flag("--system-prompt", agent.system_prompt));
  } else if (agent.system_prompt?.append)
    args.push(flag("--append-system-prompt", agent.system_prompt.append));
  if (agent.tools !== undefined) args.push(flag("--tools", agent.tools.join(",")));
  if (agent.allowed_tools?.length) args.push(flag("--allowedTools", agent.allowed_tools.join(",")));
  const denied = [...(agent.denied_tools ?? []), ...hostGuardRules(run.guard, agent.working_directory)];
  if (denied.length) args.push(flag("--disallowedTools", denied.join(",")));
  // The servers themselves reach claude on its fd 3, not its command line (mcp-config-fd.ts).
  if (mcpConfigOf(agent) !== undefined) args.push(flag("--mcp-config", MCP_CONFIG_PATH));
  for (const plugin of agent.plugins ?? []) {
    // The flag the Agent SDK itself passes for skipMcpDiscovery, so both runtimes load alike.
    args.push(flag(plugin.skipMcpDiscovery ? "--plugin-dir-no-mcp" : "--plugin-dir", plugin.path));
  }
  // Always explicit: without the flag claude loads every settings file, and the loader has
  // already chosen the agent's list (so the SDK runtime loads the same ones).
  args.push(flag("--setting-sources", (agent.setting_sources ?? []).join(",")));
  const settings = settingsWithApprovals(run.settings, run.approvals);
  if (settings) args.push(flag("--settings", JSON.stringify(settings)));
  // claude's own control protocol on stdin/stdout asks herdctl about each call an ask rule
  // catches: it works alike on the host and through docker exec, with no extra process or socket.
  // The caller writes the prompt as a stream-json message and answers on stdin (cli-runtime.ts).
  if (run.approvals?.rules.length) args.push("--permission-prompt-tool", "stdio");
  return args;
}
