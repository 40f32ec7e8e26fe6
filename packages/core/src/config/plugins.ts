import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { ConfigIssue } from "./errors.js";
import type { PluginConfig } from "./schema.js";
import { getChild, originIssue, type SNode } from "./source.js";

/** A plugin after loading: `path` is the absolute folder, checked to hold a plugin manifest. */
export type ResolvedPlugin = PluginConfig;

export const PLUGIN_MANIFEST = join(".claude-plugin", "plugin.json");

const PATH_HINT =
  "paths are relative to the file that sets them; name the folder that holds .claude-plugin/plugin.json";

function fromFile(file: string, path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/")) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(dirname(file), path);
}

function contains(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** What is wrong with `folder` as a Claude Code plugin, or undefined when it is one. */
function problemWith(folder: string, written: string): { message: string; hint: string } | undefined {
  const stat = statSync(folder, { throwIfNoEntry: false });
  if (!stat) return { message: `plugin folder "${written}" does not exist (${folder})`, hint: PATH_HINT };
  if (!stat.isDirectory())
    return { message: `plugin "${written}" is not a folder (${folder})`, hint: PATH_HINT };
  const manifest = join(folder, PLUGIN_MANIFEST);
  let text: string;
  try {
    text = readFileSync(manifest, "utf8");
  } catch {
    return {
      message: `${folder} is not a Claude Code plugin: it has no ${PLUGIN_MANIFEST}`,
      hint: "name the plugin's own folder (the one holding .claude-plugin/), or add the manifest there",
    };
  }
  let name: unknown;
  try {
    name = (JSON.parse(text) as { name?: unknown } | null)?.name;
  } catch (error) {
    return {
      message: `${manifest} is not valid JSON: ${(error as Error).message}`,
      hint: 'the manifest needs at least { "name": "my-plugin" }',
    };
  }
  if (typeof name !== "string" || name === "")
    return {
      message: `${manifest} has no "name"`,
      hint: 'the manifest needs at least { "name": "my-plugin" }; commands are then /my-plugin:<command>',
    };
  return undefined;
}

/**
 * The agent's plugins with each folder resolved against the file that wrote it (agent file, fleet
 * defaults or overrides), and an issue, at that line, for every folder that is not a plugin. A
 * plugin folder that is or holds the working directory is refused: the agent could rewrite the
 * commands, hooks and MCP servers it runs with.
 */
export function resolvePlugins(
  plugins: readonly PluginConfig[],
  merged: SNode,
  workingDirectory: string,
): { plugins: ResolvedPlugin[]; issues: ConfigIssue[] } {
  const list = getChild(merged, "plugins");
  const issues: ConfigIssue[] = [];
  const resolved = plugins.map((plugin, index) => {
    const item = getChild(list, index);
    const node = item?.kind === "map" ? (getChild(item, "path") ?? item) : item;
    if (!node) return plugin;
    const path = fromFile(node.origin.file.absPath, plugin.path);
    const problem = problemWith(path, plugin.path);
    if (problem) issues.push(originIssue(node.origin, problem.message, { hint: problem.hint }));
    else if (contains(path, workingDirectory))
      issues.push(
        originIssue(node.origin, `plugin folder ${path} holds the agent's working directory`, {
          hint:
            "the agent could rewrite its own plugin (commands, hooks, MCP servers); move the plugin " +
            "out of the working directory, or the working directory out of the plugin",
        }),
      );
    return { ...plugin, path };
  });
  return { plugins: resolved, issues };
}
