import { isDeepStrictEqual } from "node:util";
import { type ConfigIssue, issuePlace } from "./errors.js";
import { originIssue, type SNode, toPlain } from "./source.js";

type MapNode = Extract<SNode, { kind: "map" }>;

const BLOCK_KEYS = ["mode", "allowed_tools", "denied_tools", "bash"];
const BASH_KEYS = ["allowed_commands", "denied_patterns"];
const HELP = "docs/migrating.md#permissions";

/**
 * The reference format's `permissions:` block (`mode`, `allowed_tools`, `denied_tools` and
 * `bash.allowed_commands` / `bash.denied_patterns`), rewritten in place into herdctl's flat keys
 * the way the reference applied it: `mode` is `permission_mode`, each allowed command `git`
 * becomes the rule `Bash(git *)` after the allowed tools, each denied pattern `p` becomes
 * `Bash(p)` after the denied tools. One layer (agent file, defaults, overrides) may use either
 * form for a key, not both with different values: which one wins is not obvious, so it is an error.
 */
export function flattenPermissions(layer: MapNode, issues: ConfigIssue[]): void {
  const block = layer.entries.get("permissions");
  if (!block) return;
  layer.entries.delete("permissions");
  if (block.kind !== "map") {
    issues.push(
      originIssue(block.origin, "expected a mapping with mode, allowed_tools, denied_tools or bash", {
        hint: `or use the flat keys permission_mode, allowed_tools and denied_tools (${HELP})`,
      }),
    );
    return;
  }
  if (!knownKeys(block, BLOCK_KEYS, issues)) return;
  const bash = block.entries.get("bash");
  if (bash && (bash.kind !== "map" || !knownKeys(bash, BASH_KEYS, issues))) {
    if (bash.kind !== "map")
      issues.push(originIssue(bash.origin, "expected a mapping with allowed_commands or denied_patterns"));
    return;
  }

  const mode = block.entries.get("mode");
  if (mode) place(layer, "permission_mode", mode, "permissions.mode", issues);

  const allowed = rules(
    block.entries.get("allowed_tools"),
    bash && getMapChild(bash, "allowed_commands"),
    (c) => `Bash(${c} *)`,
  );
  const denied = rules(
    block.entries.get("denied_tools"),
    bash && getMapChild(bash, "denied_patterns"),
    (p) => `Bash(${p})`,
  );
  for (const [key, bashKey, list] of [
    ["allowed_tools", "allowed_commands", allowed],
    ["denied_tools", "denied_patterns", denied],
  ] as const) {
    const from = block.entries.has(key) ? `permissions.${key}` : `permissions.bash.${bashKey}`;
    if (list.problem) issues.push(list.problem);
    else if (list.node) place(layer, key, list.node, from, issues);
  }
}

function getMapChild(node: SNode, key: string): SNode | undefined {
  return node.kind === "map" ? node.entries.get(key) : undefined;
}

function knownKeys(map: MapNode, valid: string[], issues: ConfigIssue[]): boolean {
  let ok = true;
  for (const [key, node] of map.entries) {
    if (valid.includes(key)) continue;
    ok = false;
    issues.push(
      originIssue(node.origin, `unknown key "${key}"`, {
        at: "key",
        hint: `valid keys here: ${valid.join(", ")}`,
      }),
    );
  }
  return ok;
}

/** A tool list followed by the bash entries turned into rules, as one list node. */
function rules(
  tools: SNode | undefined,
  bash: SNode | undefined,
  toRule: (entry: string) => string,
): { node?: SNode; problem?: ConfigIssue } {
  if (!bash) return { node: tools };
  if (bash.kind !== "seq") return { problem: originIssue(bash.origin, "expected a list of commands") };
  const items: SNode[] = tools?.kind === "seq" ? [...tools.items] : tools ? [tools] : [];
  for (const entry of bash.items) {
    if (entry.kind !== "scalar" || typeof entry.value !== "string" || entry.value.trim() === "")
      return { problem: originIssue(entry.origin, "expected a command as text, e.g. git") };
    items.push({ ...entry, value: toRule(entry.value.trim()) });
  }
  return { node: { kind: "seq", origin: (tools ?? bash).origin, items } };
}

function place(layer: MapNode, key: string, node: SNode, from: string, issues: ConfigIssue[]): void {
  const existing = layer.entries.get(key);
  if (!existing) {
    layer.entries.set(key, node);
    return;
  }
  if (isDeepStrictEqual(toPlain(existing), toPlain(node))) return;
  const other = originIssue(existing.origin, "");
  issues.push(
    originIssue(
      node.origin,
      `${from} conflicts with ${key} (${issuePlace(other)}), which this file also sets`,
      {
        at: "key",
        hint: `keep one: move the entries into ${key} and delete the permissions block entry (${HELP})`,
      },
    ),
  );
}
