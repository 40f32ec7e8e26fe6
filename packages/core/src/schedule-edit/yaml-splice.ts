import { isDeepStrictEqual } from "node:util";
import { isAlias, isMap, isScalar, type Node, type Pair, parseDocument, stringify, type YAMLMap } from "yaml";
import type { Segment } from "../config/source.js";
import { column, lineEnd, lineStart, newlineBefore } from "../util/text-lines.js";
import { ScheduleEditError } from "./errors.js";

/** One change to one schedule, in terms of the YAML file that declares it. */
export type ScheduleChange =
  | { kind: "put"; name: string; schedule: Record<string, unknown> }
  | { kind: "remove"; name: string }
  | { kind: "enabled"; name: string; enabled: boolean };

interface Splice {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies `change` to the `schedules` map under `owner` (the agent's mapping: [] for an agent
 * file) by splicing text at the positions the parsed Document reports, so every byte outside the
 * edited schedule stays as the user wrote it. The result is re-parsed and compared with the
 * intended data; a splice that would mean anything else is refused rather than written.
 */
export function editScheduleText(text: string, owner: Segment[], change: ScheduleChange): string {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0)
    throw new ScheduleEditError(
      "SCHEDULE_FILE_UNREADABLE",
      "the file has YAML errors; fix them by hand first",
    );
  const agentNode = owner.length === 0 ? doc.contents : doc.getIn(owner, true);
  if (!isMap(agentNode)) throw unclean(owner, "is not a mapping");
  const splice = planSplice(text, agentNode, owner, change);
  const next = splice ? text.slice(0, splice.start) + splice.text + text.slice(splice.end) : text;

  const check = parseDocument(next, { merge: true });
  const expected = applyToData(doc.toJS() as Record<string, unknown>, owner, change);
  if (check.errors.length > 0 || !isDeepStrictEqual(check.toJS(), expected))
    throw unclean(
      [...owner, "schedules", change.name],
      "is laid out in a way this edit cannot change cleanly",
    );
  return next;
}

function planSplice(
  text: string,
  agent: YAMLMap,
  owner: Segment[],
  change: ScheduleChange,
): Splice | undefined {
  const schedulesPair = findPair(agent, "schedules");
  const schedules = schedulesPair?.value as Node | null | undefined;
  const where = [...owner, "schedules", change.name];
  if (schedules && isAlias(schedules)) throw unclean([...owner, "schedules"], "is a YAML alias");
  if (schedules && !isMap(schedules) && !isNull(schedules))
    throw unclean([...owner, "schedules"], "is not a mapping");
  const pair = isMap(schedules) ? findPair(schedules, change.name) : undefined;

  if (change.kind === "remove") {
    if (!pair || !isMap(schedules)) throw notDeclared(where);
    return removePair(text, schedules, pair, schedulesPair!);
  }
  if (change.kind === "enabled") {
    if (!pair || !isMap(schedules)) throw notDeclared(where);
    const value = pair.value as Node | null;
    if (!isMap(value)) throw unclean(where, "is not a mapping (an alias or a merge?)");
    const current = findPair(value, "enabled");
    if (current) {
      const scalar = current.value as Node | null;
      if (!isScalar(scalar) || !scalar.range) throw unclean([...where, "enabled"], "is not a plain value");
      return { start: scalar.range[0], end: scalar.range[1], text: String(change.enabled) };
    }
    // Absent means enabled: nothing to write.
    if (change.enabled) return undefined;
    return insertPair(text, value, "enabled", false);
  }
  if (pair) {
    const value = pair.value as Node | null;
    if (!value?.range || isAlias(value)) throw unclean(where, "is an alias or empty");
    const flow = !isMap(value) || value.flow === true || (isMap(schedules) && schedules.flow === true);
    const indent = column(text, value.range[0]);
    return { start: value.range[0], end: value.range[1], text: render(change.schedule, flow, indent, true) };
  }
  if (isMap(schedules) && schedules.items.length > 0) {
    const flowSiblings = schedules.items.every((p) => isMap(p.value) && (p.value as YAMLMap).flow === true);
    return insertPair(text, schedules, change.name, change.schedule, flowSiblings);
  }
  const entry = { [change.name]: change.schedule };
  if (schedulesPair && schedules?.range) {
    const [start, end] = schedules.range;
    if (isMap(schedules) || end > start)
      // `schedules: {}` or `schedules: ~`: the new map takes the empty value's place.
      return { start, end, text: render(entry, true, 0, true) };
  }
  if (schedulesPair) {
    // `schedules:` with nothing after it: the entries go on the lines below the key.
    const at = lineEnd(text, (schedulesPair.key as Node).range![1]);
    const indent = column(text, (schedulesPair.key as Node).range![0]) + 2;
    return { start: at, end: at, text: newlineBefore(text, at) + render(entry, false, indent, false) };
  }
  return insertPair(text, agent, "schedules", entry);
}

/** Adds `key: value` as the last entry of `map`, in the map's own style and indentation. */
function insertPair(text: string, map: YAMLMap, key: string, value: unknown, flowValue = true): Splice {
  const last = map.items[map.items.length - 1];
  const lastEnd = last ? endOf(last) : undefined;
  if (map.flow) {
    if (lastEnd === undefined) {
      const [start, end] = map.range!;
      return { start, end, text: render({ [key]: value }, true, 0, true) };
    }
    return {
      start: lastEnd,
      end: lastEnd,
      text: `, ${render({ [key]: value }, true, 0, true).slice(2, -2)}`,
    };
  }
  if (!last || lastEnd === undefined)
    throw new ScheduleEditError("SCHEDULE_NOT_EDITABLE", "the mapping is empty");
  const at = lineEnd(text, lastEnd);
  const indent = column(text, (last.key as Node).range![0]);
  const block = isPlainObject(value) && !flowValue;
  const body = block
    ? `${" ".repeat(indent)}${render({ [key]: value }, false, indent, true)}`
    : `${" ".repeat(indent)}${render({ [key]: value }, true, 0, true).slice(2, -2)}\n`;
  return { start: at, end: at, text: newlineBefore(text, at) + body };
}

function removePair(text: string, map: YAMLMap, pair: Pair, owner: Pair): Splice {
  const index = map.items.indexOf(pair);
  if (map.flow) {
    const prev = map.items[index - 1];
    const next = map.items[index + 1];
    if (prev) return { start: endOf(prev), end: endOf(pair), text: "" };
    if (next) return { start: (pair.key as Node).range![0], end: (next.key as Node).range![0], text: "" };
    return { start: map.range![0], end: map.range![1], text: "{}" };
  }
  const start = lineStart(text, (pair.key as Node).range![0]);
  const end = lineEnd(text, endOf(pair));
  if (map.items.length > 1) return { start, end, text: "" };
  // The last schedule: leave `schedules: {}` rather than a bare `schedules:`, which means null.
  const key = owner.key as Node;
  const colon = text.indexOf(":", key.range![1]);
  const head = text.slice(key.range![1], colon + 1);
  return {
    start: key.range![1],
    end,
    text: `${head} {}${text.slice(colon + 1, lineEnd(text, colon + 1))}`.replace(/\s*$/, "\n"),
  };
}

function render(value: unknown, flow: boolean, indent: number, firstLineIndented: boolean): string {
  if (flow) return stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trimEnd();
  const pad = " ".repeat(indent);
  const lines = stringify(value, { lineWidth: 0 }).trimEnd().split("\n");
  return `${lines.map((line, i) => (i === 0 && firstLineIndented ? line : pad + line)).join("\n")}\n`;
}

function applyToData(data: Record<string, unknown>, owner: Segment[], change: ScheduleChange): unknown {
  let agent: Record<string, unknown> = data;
  for (const segment of owner) agent = (agent as Record<string, Record<string, unknown>>)[String(segment)]!;
  if (change.kind === "put") {
    const schedules = (agent.schedules ?? {}) as Record<string, unknown>;
    agent.schedules = schedules;
    schedules[change.name] = change.schedule;
  } else {
    const schedules = agent.schedules as Record<string, Record<string, unknown>>;
    if (change.kind === "remove") delete schedules[change.name];
    else if (!change.enabled || Object.hasOwn(schedules[change.name]!, "enabled"))
      schedules[change.name]!.enabled = change.enabled;
  }
  return data;
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) as Pair | undefined;
}

function isNull(node: Node | null | undefined): boolean {
  return node == null || (isScalar(node) && node.value == null);
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Where a pair's text ends (its value, or its key when the value is empty). */
function endOf(pair: Pair): number {
  const value = pair.value as Node | null;
  return value?.range ? value.range[1] : (pair.key as Node).range![1];
}

function unclean(path: Segment[], what: string): ScheduleEditError {
  return new ScheduleEditError(
    "SCHEDULE_NOT_EDITABLE",
    `${path.join(".")} ${what}, so herdctl will not rewrite it; edit the file by hand`,
  );
}

function notDeclared(path: Segment[]): ScheduleEditError {
  return new ScheduleEditError("SCHEDULE_NOT_EDITABLE", `${path.join(".")} is not in this file`);
}
