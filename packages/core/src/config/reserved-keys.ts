import type { ConfigIssue } from "./errors.js";
import { originIssue, type SNode } from "./source.js";

/**
 * `__proto__` as a mapping key would become the prototype of the object built from the mapping,
 * so the entry would vanish and its keys would be inherited by its siblings. Such keys are
 * reported and removed before anything reads the tree.
 */
export function rejectPrototypeKeys(node: SNode): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (node.kind === "seq") for (const item of node.items) issues.push(...rejectPrototypeKeys(item));
  if (node.kind !== "map") return issues;
  const proto = node.entries.get("__proto__");
  if (proto) {
    node.entries.delete("__proto__");
    issues.push(
      originIssue(proto.origin, '"__proto__" cannot be used as a name here', {
        at: "key",
        hint: "rename it (letters, digits, _ and - are safe)",
      }),
    );
  }
  for (const child of node.entries.values()) issues.push(...rejectPrototypeKeys(child));
  return issues;
}
