import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ConfigIssue } from "./errors.js";
import type { SettingSource } from "./schema.js";
import { getChild, issueAt, type SNode } from "./source.js";

/**
 * The settings files an agent loads when it names none, as the reference herdctl chooses them: an
 * agent placed in a project (working_directory written, here or in defaults) takes that project's
 * .claude/settings.json and CLAUDE.md; any other agent loads none, so settings on the machine that
 * runs herdctl never leak into it. Unlike the reference, both runtimes get this list.
 */
export function defaultSettingSources(merged: SNode): SettingSource[] {
  return getChild(merged, "working_directory") ? ["project"] : [];
}

/** Where claude looks for each settings source of a host agent. */
export function settingsFiles(
  workingDirectory: string,
  env: NodeJS.ProcessEnv,
): Record<SettingSource, string> {
  const configDir = env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), ".claude");
  return {
    user: join(configDir, "settings.json"),
    project: join(workingDirectory, ".claude", "settings.json"),
    local: join(workingDirectory, ".claude", "settings.local.json"),
  };
}

/**
 * The reference's CLI runtime passes no --setting-sources when the list is unset, so claude loads
 * user, project and local settings; we give a CLI agent the same list as an SDK agent. Said where
 * it changes something: a settings file exists that the reference would load and we do not.
 * (A Docker agent's user settings live in its container's config folder, known only at run time.)
 */
export function cliSettingSourcesWarning(
  merged: SNode,
  agent: { working_directory: string; setting_sources?: SettingSource[]; docker?: { enabled?: boolean } },
  env: NodeJS.ProcessEnv,
): ConfigIssue | undefined {
  if (getChild(merged, "setting_sources")) return undefined;
  const runtime = getChild(merged, "runtime");
  if (runtime?.kind !== "scalar" || runtime.value !== "cli") return undefined;
  const loaded = agent.setting_sources ?? [];
  const files = settingsFiles(agent.working_directory, env);
  const skipped = (["user", "project", "local"] as const).filter(
    (source) =>
      !loaded.includes(source) && !(source === "user" && agent.docker?.enabled) && existsSync(files[source]),
  );
  if (skipped.length === 0) return undefined;
  const chosen = loaded.length ? `[${loaded.join(", ")}]` : "[]";
  return issueAt(
    merged,
    ["runtime"],
    `the reference herdctl's CLI runtime would load ${skipped.map((s) => files[s]).join(" and ")}; ` +
      `herdctl does not: without setting_sources both runtimes load ${chosen} for this agent`,
    {
      hint:
        `add setting_sources: [${[...loaded, ...skipped].join(", ")}] to load ${skipped.length > 1 ? "them" : "it"}, ` +
        `or setting_sources: ${chosen} to keep this and silence the warning`,
    },
  );
}
