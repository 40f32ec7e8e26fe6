import { isDeepStrictEqual } from "node:util";
import {
  isMap,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { column, lineEnd, lineStart, newlineBefore, splice } from "../util/text-lines.js";
import { AgentInstallError } from "./errors.js";

/**
 * Edits of the root fleet file's `agents:` list, made by splicing text at the positions the
 * parsed Document reports so every other byte (comments, layout, quoting) stays as written. The
 * result is parsed again and must mean exactly the intended list, or nothing is written.
 */
export function addAgentEntry(text: string, entryPath: string): string {
  const { doc, pair, seq } = agentsList(text);
  const entry = { path: entryPath };
  let next: string;
  if (!pair) {
    next = `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}agents:\n  - path: ${entryPath}\n`;
  } else if (!seq || seq.items.length === 0) {
    const value = pair.value as Node | null;
    if (value?.range && value.range[1] > value.range[0]) {
      // `agents: []` or `agents: ~`: the entry takes the empty value's place.
      next = splice(text, value.range[0], value.range[1], `[{ path: ${entryPath} }]`);
    } else {
      // `agents:` with nothing after it: the entry goes on the line below.
      const key = pair.key as Node;
      const at = lineEnd(text, key.range![1]);
      const pad = " ".repeat(column(text, key.range![0]) + 2);
      next = splice(text, at, at, `${newlineBefore(text, at)}${pad}- path: ${entryPath}\n`);
    }
  } else if (seq.flow) {
    const last = seq.items[seq.items.length - 1] as Node;
    next = splice(text, last.range![1], last.range![1], `, { path: ${entryPath} }`);
  } else {
    const last = seq.items[seq.items.length - 1] as Node;
    const at = lineEnd(text, last.range![1]);
    const pad = " ".repeat(column(text, seq.range![0]));
    next = splice(text, at, at, `${newlineBefore(text, at)}${pad}- path: ${entryPath}\n`);
  }
  const before = (doc.toJS() as Record<string, unknown> | null)?.agents;
  return checked(next, [...(Array.isArray(before) ? before : []), entry]);
}

/** Removes the `index`th entry of `agents:`, leaving `agents: []` when it was the only one. */
export function removeAgentEntry(text: string, index: number): string {
  const { doc, pair, seq } = agentsList(text);
  const item = seq?.items[index] as Node | undefined;
  if (!pair || !seq || !item?.range) throw unclean("has no such entry");
  let next: string;
  if (seq.flow) {
    const prev = seq.items[index - 1] as Node | undefined;
    const following = seq.items[index + 1] as Node | undefined;
    if (prev) next = splice(text, prev.range![1], item.range[1], "");
    else if (following) next = splice(text, item.range[0], following.range![0], "");
    else next = splice(text, seq.range![0], seq.range![1], "[]");
  } else if (seq.items.length > 1) {
    next = splice(text, lineStart(text, item.range[0]), lineEnd(text, item.range[1]), "");
  } else {
    // The last entry: `agents: []`, since a bare `agents:` means null.
    const key = pair.key as Node;
    next = splice(text, key.range![1], lineEnd(text, item.range[1]), ": []\n");
  }
  const list = ((doc.toJS() as Record<string, unknown>).agents as unknown[]).filter((_, i) => i !== index);
  return checked(next, list);
}

/** The entries of `agents:` as data (each `{ path, ... }`), for finding the one to remove. */
export function agentEntries(text: string): unknown[] {
  const agents = (agentsList(text).doc.toJS() as Record<string, unknown> | null)?.agents;
  return Array.isArray(agents) ? agents : [];
}

function agentsList(text: string): { doc: ReturnType<typeof parseDocument>; pair?: Pair; seq?: YAMLSeq } {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) throw unclean("is not readable YAML; fix the file first");
  const root = doc.contents;
  if (!isMap(root)) throw unclean("is not inside a mapping");
  const pair = (root as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === "agents") as
    | Pair
    | undefined;
  const value = pair?.value as Node | null | undefined;
  if (value && !isSeq(value) && !(isScalar(value) && value.value == null)) throw unclean("is not a list");
  return { doc, pair, seq: isSeq(value) ? (value as YAMLSeq) : undefined };
}

function checked(next: string, agents: unknown[]): string {
  const doc = parseDocument(next, { merge: true });
  const data = doc.toJS() as Record<string, unknown> | null;
  if (doc.errors.length > 0 || !isDeepStrictEqual(data?.agents, agents))
    throw unclean("is laid out in a way this edit cannot change cleanly");
  return next;
}

function unclean(what: string): AgentInstallError {
  return new AgentInstallError(
    "AGENT_FLEET_NOT_EDITABLE",
    `the fleet file's agents: ${what}, so herdctl did not change it; edit the agents: list by hand`,
  );
}
