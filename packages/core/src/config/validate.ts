import type { z } from "zod";
import { Redactor } from "../secrets/redactor.js";
import { type ConfigIssue, nearest } from "./errors.js";
import { deepest, issueAt, type Segment, type SNode, toPlain, walkScalars } from "./source.js";

type ZodIssue = z.core.$ZodIssue;

/**
 * Validates a provenance tree and maps every zod issue back to the file, line and key that
 * caused it. Scalars that were exactly one `${VAR}` are coerced to the number or boolean the
 * schema expects, then validation runs again.
 */
export function validateNode<S extends z.ZodType>(
  schema: S,
  root: SNode,
): { data: z.output<S>; issues: [] } | { data: undefined; issues: ConfigIssue[] } {
  for (let attempt = 0; ; attempt++) {
    const plain = toPlain(root);
    const result = schema.safeParse(plain, { error: describeValidKeys });
    if (result.success) return { data: result.data, issues: [] };
    if (attempt < 3 && coerceEnvScalars(root, result.error.issues)) continue;
    const issues = result.error.issues.flatMap((issue) => toConfigIssues(issue, root));
    return { data: undefined, issues: redactIssues(issues, root) };
  }
}

// zod reports unknown keys without the keys it would have accepted; the schema instance is only
// reachable here, so the valid keys travel to toConfigIssues inside the message.
function describeValidKeys(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== "unrecognized_keys") return undefined;
  const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
  return JSON.stringify(shape ? Object.keys(shape) : []);
}

function coerceEnvScalars(root: SNode, issues: readonly ZodIssue[]): boolean {
  let changed = false;
  for (const issue of issues) {
    if (issue.code !== "invalid_type") continue;
    const { node, rest } = deepest(root, issue.path as Segment[]);
    if (rest.length > 0 || node.kind !== "scalar" || !node.fromEnv || typeof node.value !== "string")
      continue;
    const text = node.value.trim();
    if (issue.expected === "number" && /^[-+]?\d+(\.\d+)?$/.test(text)) {
      node.value = Number(text);
      changed = true;
    } else if (issue.expected === "boolean" && /^(true|false)$/i.test(text)) {
      node.value = text.toLowerCase() === "true";
      changed = true;
    }
  }
  return changed;
}

// A message may quote the offending value; one interpolated from a secret-named variable must not
// reach the terminal or a --json report.
function redactIssues(issues: ConfigIssue[], root: SNode): ConfigIssue[] {
  const secrets: string[] = [];
  walkScalars(root, (leaf) => {
    if (leaf.secret && typeof leaf.value === "string") secrets.push(leaf.value);
  });
  if (secrets.length === 0) return issues;
  const redactor = new Redactor(secrets);
  return issues.map((issue) => {
    const clean = { ...issue, message: redactor.redact(issue.message) };
    if (issue.hint !== undefined) clean.hint = redactor.redact(issue.hint);
    return clean;
  });
}

function valueAt(
  root: SNode,
  path: readonly Segment[],
): { found: boolean; value: unknown; fromEnv: boolean } {
  const { node, rest } = deepest(root, path);
  if (rest.length > 0) return { found: false, value: undefined, fromEnv: false };
  // Short secrets slip past value redaction, so a secret is never described by its value.
  const value = node.kind === "scalar" && node.secret ? SECRET_VALUE : toPlain(node);
  return { found: true, value, fromEnv: node.kind === "scalar" && node.fromEnv === true };
}

const SECRET_VALUE = Symbol("secret");

export function describeValue(value: unknown): string {
  if (value === SECRET_VALUE) return "a value from a secret-named environment variable";
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

const EXPECTED: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

function toConfigIssues(issue: ZodIssue, root: SNode): ConfigIssue[] {
  const path = issue.path as Segment[];
  const at = valueAt(root, path);
  const envHint = at.fromEnv ? "this value came from an environment variable" : undefined;
  switch (issue.code) {
    case "unrecognized_keys": {
      let valid: string[] = [];
      try {
        valid = JSON.parse(issue.message) as string[];
      } catch {}
      return issue.keys.map((key) => {
        const suggestion = nearest(key, valid);
        const hint = suggestion
          ? `did you mean "${suggestion}"?`
          : valid.length > 0
            ? `valid keys here: ${valid.join(", ")}`
            : undefined;
        return issueAt(root, [...path, key], `unknown key "${key}"`, { at: "key", hint });
      });
    }
    case "invalid_type": {
      if (!at.found) return [issueAt(root, path, "is required but missing")];
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return [issueAt(root, path, `expected ${expected}, got ${describeValue(at.value)}`, { hint: envHint })];
    }
    case "invalid_value": {
      const options = issue.values.map(String);
      return [oneOf(root, path, at, options)];
    }
    case "invalid_union": {
      const options = (issue as { options?: unknown[] }).options;
      if (options) return [oneOf(root, path, at, options.map(String))];
      return [issueAt(root, path, `${describeValue(at.value)} does not match any allowed form`)];
    }
    case "too_small":
    case "too_big": {
      const bound = Number(issue.code === "too_small" ? issue.minimum : issue.maximum);
      const small = issue.code === "too_small";
      let message: string;
      if (issue.origin === "string")
        message =
          small && bound === 1
            ? "must not be empty"
            : `length must be ${small ? "at least" : "at most"} ${bound}`;
      else if (issue.origin === "array")
        message = `must have ${small ? "at least" : "at most"} ${bound} item${bound === 1 ? "" : "s"}`;
      else if (issue.inclusive)
        message = `must be ${small ? "at least" : "at most"} ${bound}, got ${describeValue(at.value)}`;
      else message = `must be ${small ? "greater" : "less"} than ${bound}, got ${describeValue(at.value)}`;
      return [issueAt(root, path, message, { hint: envHint })];
    }
    case "custom": {
      const hint = (issue.params as { hint?: string } | undefined)?.hint;
      return [issueAt(root, path, issue.message, { hint })];
    }
    default:
      return [issueAt(root, path, issue.message, { hint: envHint })];
  }
}

function oneOf(
  root: SNode,
  path: Segment[],
  at: { found: boolean; value: unknown },
  options: string[],
): ConfigIssue {
  const list = options.join(", ");
  if (!at.found) return issueAt(root, path, `is required but missing; use one of: ${list}`);
  const suggestion = typeof at.value === "string" ? nearest(at.value, options) : undefined;
  return issueAt(root, path, `${describeValue(at.value)} is not one of: ${list}`, {
    hint: suggestion ? `did you mean "${suggestion}"?` : undefined,
  });
}
