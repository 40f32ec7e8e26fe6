import type { z } from "zod";
import { formatDuration } from "./duration.js";
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

type Schema = z.ZodType;
const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly"]);

function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: Schema };
    if (!WRAPPERS.has(def.type) || !def.innerType) return current;
    current = def.innerType;
  }
}

// Transforms hide what they parse; asking the schema itself finds every duration field.
const isDuration = (schema: Schema) => schema.safeParse("15m").data === 900_000;

/**
 * Adds the durations the user did not write (schema defaults, held in milliseconds) in the largest
 * unit that holds them exactly, so config show has no bare millisecond counts left.
 */
export function collectDefaultDurations(
  schema: Schema,
  resolved: unknown,
  prefix: Segment[],
  out: WrittenValue[],
): void {
  const known = new Set(out.map((w) => JSON.stringify(w.path)));
  const visit = (node: Schema, value: unknown, path: Segment[]): void => {
    const core = unwrap(node);
    const def = core._zod.def as {
      type: string;
      shape?: Record<string, Schema>;
      valueType?: Schema;
      element?: Schema;
      options?: Schema[];
    };
    if (typeof value === "number") {
      const key = JSON.stringify(path);
      if (!known.has(key) && isDuration(core)) {
        known.add(key);
        out.push({ path, text: formatDuration(value) });
      }
      return;
    }
    if (value === null || typeof value !== "object") return;
    if (def.type === "object" && def.shape) {
      for (const [key, child] of Object.entries(def.shape)) {
        if (Object.hasOwn(value, key)) visit(child, (value as Record<string, unknown>)[key], [...path, key]);
      }
    } else if (def.type === "record" && def.valueType) {
      for (const [key, child] of Object.entries(value)) visit(def.valueType, child, [...path, key]);
    } else if (def.type === "array" && def.element && Array.isArray(value)) {
      for (const [i, item] of value.entries()) visit(def.element, item, [...path, i]);
    } else if (def.type === "union" && def.options) {
      for (const option of def.options) visit(option, value, path);
    }
  };
  visit(schema, resolved, prefix);
}
