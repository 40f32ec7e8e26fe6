import { isDeepStrictEqual } from "node:util";
import { isMap, isScalar, isSeq, LineCounter, type Pair, parseDocument, type YAMLMap } from "yaml";

/** What kind of file a fix looks at: the key names differ between the two. */
export type FileShape = "fleet" | "agent";

/** One change `config validate --fix` makes, as the user is told about it. */
export interface FixChange {
  line: number;
  /** The key path in the file, e.g. `agents[0].overrides.workspace`. */
  where: string;
  description: string;
}

interface Edit {
  start: number;
  end: number;
  text: string;
  change: FixChange;
  /** The same change made to the parsed data: the spliced text must mean exactly this. */
  apply: (data: unknown) => void;
}

type Path = (string | number)[];

// Keys the reference format spelled differently; renaming them changes nothing else.
const AGENT_RENAMES: [string, string][] = [["workspace", "working_directory"]];
const SCHEDULE_RENAMES: [string, string][] = [["expression", "cron"]];
const DOCKER_RENAMES: [string, string][] = [["base_image", "image"]];

/**
 * The safe automatic fixes for one configuration file, as byte splices at the positions the parsed
 * Document reports, so everything outside the edited keys (comments, quoting, layout) stays as the
 * user wrote it. The result is parsed again and must mean exactly the original data with the fixes
 * applied; otherwise nothing is changed and `skipped` says why.
 */
export function planFixes(
  text: string,
  shape: FileShape,
): { text: string; changes: FixChange[]; skipped?: string } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0)
    return { text, changes: [], skipped: "the file has YAML errors; fix them by hand first" };
  const edits: Edit[] = [];
  const line = (offset: number) => lines.linePos(offset).line;
  if (isMap(doc.contents)) {
    if (shape === "fleet") fleetFixes(doc.contents, [], edits, line);
    else agentFixes(doc.contents, [], edits, line);
  }
  if (edits.length === 0) return { text, changes: [] };

  edits.sort((a, b) => b.start - a.start);
  let next = text;
  for (const edit of edits) next = next.slice(0, edit.start) + edit.text + next.slice(edit.end);
  const expected = doc.toJS() as unknown;
  for (const edit of edits) edit.apply(expected);
  const check = parseDocument(next);
  if (check.errors.length > 0 || !isDeepStrictEqual(check.toJS(), expected)) {
    return {
      text,
      changes: [],
      skipped: "its layout is one these fixes cannot change cleanly; apply them by hand",
    };
  }
  const changes = edits.map((e) => e.change).sort((a, b) => a.line - b.line);
  return { text: next, changes };
}

function fleetFixes(fleet: YAMLMap, path: Path, edits: Edit[], line: (offset: number) => number): void {
  renames(fleet, path, AGENT_RENAMES, edits, line);
  const defaults = valueAt(fleet, "defaults");
  if (isMap(defaults)) agentFixes(defaults, [...path, "defaults"], edits, line);
  for (const list of ["agents", "fleets"] as const) {
    const seq = valueAt(fleet, list);
    if (!isSeq(seq)) continue;
    seq.items.forEach((ref, i) => {
      const overrides = isMap(ref) ? valueAt(ref, "overrides") : undefined;
      if (!isMap(overrides)) return;
      const at = [...path, list, i, "overrides"];
      if (list === "agents") agentFixes(overrides, at, edits, line);
      else fleetFixes(overrides, at, edits, line);
    });
  }
}

function agentFixes(agent: YAMLMap, path: Path, edits: Edit[], line: (offset: number) => number): void {
  renames(agent, path, AGENT_RENAMES, edits, line);
  const schedules = valueAt(agent, "schedules");
  if (isMap(schedules)) {
    for (const pair of schedules.items) {
      if (isScalar(pair.key) && isMap(pair.value))
        renames(pair.value, [...path, "schedules", String(pair.key.value)], SCHEDULE_RENAMES, edits, line);
    }
  }
  const docker = valueAt(agent, "docker");
  if (isMap(docker)) renames(docker, [...path, "docker"], DOCKER_RENAMES, edits, line);
}

function renames(
  map: YAMLMap,
  path: Path,
  table: [string, string][],
  edits: Edit[],
  line: (offset: number) => number,
): void {
  for (const [from, to] of table) {
    const pair = pairOf(map, from);
    // Both spellings set: which one the user means is theirs to say (the load warns).
    if (!pair || pairOf(map, to) || !isScalar(pair.key) || !pair.key.range) continue;
    const [start, end] = pair.key.range;
    edits.push({
      start,
      end,
      text: to,
      change: {
        line: line(start),
        where: formatPath([...path, from]),
        description: `renamed ${from} to ${to}`,
      },
      apply: (data) => {
        const owner = dig(data, path);
        owner[to] = owner[from];
        delete owner[from];
      },
    });
  }
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => isScalar(p.key) && String(p.key.value) === key) as Pair | undefined;
}

function valueAt(map: YAMLMap, key: string): unknown {
  return pairOf(map, key)?.value;
}

function dig(data: unknown, path: Path): Record<string, unknown> {
  let node = data as Record<string | number, unknown>;
  for (const segment of path) node = node[segment] as Record<string | number, unknown>;
  return node as Record<string, unknown>;
}

function formatPath(path: Path): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}
