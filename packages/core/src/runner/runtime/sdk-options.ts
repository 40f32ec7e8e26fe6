import type { Options } from "@anthropic-ai/claude-agent-sdk";
import type { ResolvedAgent } from "../../config/index.js";
import { settingsWithApprovals } from "./approval-settings.js";
import { hostGuardRules } from "./host-guard.js";
import type { RuntimeExecuteOptions } from "./interface.js";

/**
 * The Agent SDK options for one run of an agent, typed against the SDK's own declarations so a
 * misspelt option fails to compile. Pure, so tests pin it exactly. Process wiring (executable,
 * spawn hook, abort controller, stderr) is added by the runtime.
 */
export function buildSdkOptions(
  agent: ResolvedAgent,
  run: Pick<RuntimeExecuteOptions, "sessionId" | "resume" | "fork" | "guard" | "settings" | "approvals">,
  cwd: string,
): Options {
  const options: Options = { cwd };
  if (run.resume) {
    options.resume = run.resume;
    if (run.fork) {
      options.forkSession = true;
      if (run.sessionId) options.sessionId = run.sessionId;
    }
  } else if (run.sessionId) {
    options.sessionId = run.sessionId;
  }
  if (agent.model) options.model = agent.model;
  const maxTurns = agent.max_turns ?? agent.session?.max_turns;
  if (maxTurns !== undefined) options.maxTurns = maxTurns;
  if (agent.max_budget_usd !== undefined) options.maxBudgetUsd = agent.max_budget_usd;
  if (agent.permission_mode) {
    // The SDK's type has no "manual"; claude reads it as "default" either way.
    options.permissionMode = agent.permission_mode === "manual" ? "default" : agent.permission_mode;
    if (agent.permission_mode === "bypassPermissions") options.allowDangerouslySkipPermissions = true;
  }
  // Without one, the SDK would send a minimal prompt of its own; claude -p uses Claude Code's, and
  // an agent must get the same prompt whichever runtime runs it. An empty string means "unset", as
  // in the reference herdctl, so a templated-out prompt does not leave claude with none at all.
  const prompt = agent.system_prompt;
  if (typeof prompt === "string" && prompt !== "") options.systemPrompt = prompt;
  else if (typeof prompt === "object" && prompt.append)
    options.systemPrompt = { type: "preset", preset: "claude_code", append: prompt.append };
  else options.systemPrompt = { type: "preset", preset: "claude_code" };
  if (agent.tools !== undefined) options.tools = [...agent.tools];
  if (agent.allowed_tools?.length) options.allowedTools = [...agent.allowed_tools];
  const denied = [...(agent.denied_tools ?? []), ...hostGuardRules(run.guard, agent.working_directory)];
  if (denied.length) options.disallowedTools = denied;
  if (agent.mcp_servers && Object.keys(agent.mcp_servers).length > 0) {
    options.mcpServers = structuredClone(agent.mcp_servers) as Options["mcpServers"];
    // Over stdin in the initialize request: on claude's command line (the SDK's default) the
    // servers' env and headers, often tokens, are readable by every local user (/proc/*/cmdline).
    options.mcpServersDelivery = "initialize";
  }
  if (agent.plugins?.length) {
    options.plugins = agent.plugins.map(({ path, skipMcpDiscovery }) =>
      skipMcpDiscovery ? { type: "local", path, skipMcpDiscovery } : { type: "local", path },
    );
  }
  // Always explicit: the SDK, like claude, loads every settings file when told nothing.
  options.settingSources = [...(agent.setting_sources ?? [])];
  const settings = settingsWithApprovals(run.settings, run.approvals);
  if (settings) options.settings = structuredClone(settings) as Options["settings"];
  return options;
}
