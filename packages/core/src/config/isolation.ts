import { statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { type ConfigIssue, issuePlace } from "./errors.js";
import { getChild, originIssue, type SNode } from "./source.js";

/**
 * Agent files usually sit inside the folder their agent may write, so nothing in them may loosen
 * the isolation the fleet file chose: for each such Docker key, how to tell whether the agent
 * file's value is looser than the fleet's. Resource limits (memory, cpus, pids_limit, …) are
 * capacity, not isolation, and stay the agent file's to set.
 */
const LOOSER: Record<string, (fleet: unknown, agent: unknown) => boolean> = {
  enabled: (fleet, agent) => fleet === true && agent !== true,
  read_only: (fleet, agent) => fleet === true && agent !== true,
  workspace_mode: (fleet, agent) => fleet === "ro" && agent !== "ro",
};

function scalar(node: SNode | undefined): unknown {
  return node?.kind === "scalar" ? node.value : undefined;
}

/**
 * Findings for an agent file that would widen the Docker isolation set by the fleet file's
 * `defaults.docker` (inherited by sub-fleets). A key the fleet's `agents[].overrides.docker` sets
 * is skipped: overrides win over the agent file anyway.
 */
export function looserDockerIssues(
  fleetDefaults: SNode | undefined,
  agentFile: SNode,
  overrides: SNode | undefined,
): ConfigIssue[] {
  const agentDocker = getChild(agentFile, "docker");
  const fleetDocker = getChild(fleetDefaults, "docker");
  if (agentDocker?.kind !== "map" || fleetDocker?.kind !== "map") return [];
  const overridden = getChild(overrides, "docker");
  const issues: ConfigIssue[] = [];
  for (const [key, node] of agentDocker.entries) {
    const looser = LOOSER[key];
    const fleetNode = fleetDocker.entries.get(key);
    if (!looser || !fleetNode || getChild(overridden, key)) continue;
    const fleetValue = scalar(fleetNode);
    if (!looser(fleetValue, scalar(node))) continue;
    const where = originIssue(fleetNode.origin, "");
    issues.push(
      originIssue(
        node.origin,
        `an agent file may only tighten isolation: the fleet file sets docker.${key}: ${String(fleetValue)} ` +
          `(${issuePlace(where)}) and this would loosen it`,
        {
          hint:
            "remove the key from the agent file, or change it in the fleet file (defaults.docker or " +
            "agents[].overrides.docker), which the agent cannot write",
        },
      ),
    );
  }
  return issues;
}

/**
 * Where each hook of a merged agent was written. A hook from the agent file is held to the agent's
 * own privileges (see runner/hook-placement.ts); one from the fleet file is the operator's.
 */
export function hookSources(merged: SNode, agentFile: string): Record<HookListName, HookSource[]> {
  const hooks = getChild(merged, "hooks");
  const of = (list: string): HookSource[] => {
    const node = getChild(hooks, list);
    if (node?.kind !== "seq") return [];
    return node.items.map((item) => ({
      declaredIn: item.origin.file.absPath === agentFile ? "agent" : "fleet",
      file: item.origin.file.absPath,
    }));
  };
  return Object.fromEntries(HOOK_LISTS.map((list) => [list, of(list)])) as Record<HookListName, HookSource[]>;
}

/** Every list a `hooks:` section may hold. */
export const HOOK_LISTS = [
  "after_run",
  "on_error",
  "budget_exceeded",
  "usage_limited",
  "approval_requested",
  "approval_decided",
] as const;
export type HookListName = (typeof HOOK_LISTS)[number];

export interface HookSource {
  declaredIn: "fleet" | "agent";
  file: string;
}

/**
 * Paths a shell hook command names that exist as regular files (scripts, interpreters' arguments), so the
 * script cannot be rewritten by an agent between jobs. Words are split the way a reader would;
 * anything that is not an existing file is ignored.
 */
export function hookScriptPaths(command: string, cwd: string): string[] {
  const words = command.split(/[\s;&|()<>`"']+/).filter((w) => w.includes("/") && !w.includes("$"));
  const found: string[] = [];
  for (const word of words) {
    const path = isAbsolute(word) ? word : resolve(cwd, word);
    if (statSync(path, { throwIfNoEntry: false })?.isFile()) found.push(path);
  }
  return found;
}

export const AGENT_HOOK_REFUSED =
  "this shell hook is in the agent file and would run on the host with more privilege than the " +
  "agent has (it may not run commands itself), so it is skipped";
export const AGENT_HOOK_HINT =
  "move it to the fleet file (agents[].overrides.hooks or defaults.hooks), run the agent in Docker " +
  "(agent-file hooks then run in its container), or allow it Bash";
