import { type Segment, type SNode, walkScalars } from "./source.js";

/**
 * A value the schema turned into something else (a duration into milliseconds), with the text the
 * user wrote, so `config show` can print `10m` where the loaded fleet holds 600000.
 */
export interface WrittenValue {
  /** Into `{ fleet, agents }`, agents by index; segments, because keys may contain dots. */
  path: Segment[];
  text: string;
}

export function valueAtPath(root: unknown, path: readonly Segment[]): unknown {
  let node = root;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}

/** Adds every string of `node` that `resolved` (its validated form) holds as a number. */
export function collectWritten(node: SNode, resolved: unknown, prefix: Segment[], out: WrittenValue[]): void {
  walkScalars(node, (leaf, path) => {
    // A secret's text is never kept beside the redacted view.
    if (typeof leaf.value !== "string" || leaf.secret) return;
    if (typeof valueAtPath(resolved, path) === "number")
      out.push({ path: [...prefix, ...path], text: leaf.value });
  });
}

/** `view` (a copy of `{ fleet, agents }`) with each written value put back where it was converted. */
export function withWrittenValues<T>(view: T, written: readonly WrittenValue[]): T {
  for (const { path, text } of written) {
    const parent = valueAtPath(view, path.slice(0, -1));
    const last = String(path[path.length - 1]);
    if (
      parent !== null &&
      typeof parent === "object" &&
      typeof (parent as Record<string, unknown>)[last] === "number"
    )
      (parent as Record<string, unknown>)[last] = text;
  }
  return view;
}
