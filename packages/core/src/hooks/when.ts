/**
 * The `when` filter: a tiny expression language over the hook context, parsed here and never
 * handed to eval. Grammar, loosest binding first:
 *
 *   or      := and ("||" and)*
 *   and     := compare ("&&" compare)*
 *   compare := unary (("==" | "!=" | "<" | "<=" | ">" | ">=") unary)?     (no chaining)
 *   unary   := "!" unary | primary
 *   primary := field | "string" | 'string' | number | true | false | null | "(" or ")"
 *
 * A field is a context path (`job.status`, `job.tokens.input`, `result.success`); job fields may
 * drop the `job.` prefix (`status`, `cost_usd`). `metadata.<path>` names what the agent wrote to
 * its metadata file: its type is unknown until run time, so it compares with anything, and a
 * missing key is null. A bare field tests truthiness (null, false, 0 and "" are false),
 * which keeps the config schema's "dot path that must be truthy" meaning working.
 * Equality is strict (no coercion); ordering compares two numbers or two strings and is false when
 * either side is null at run time. Because the context's shape is fixed, unknown fields,
 * impossible comparisons (`cost_usd == "1"`) and misspelt enum values (`status == "faild"`) are
 * rejected when the config loads, not silently never matching.
 */
import type { HookContext } from "./context.js";
import { WhenSyntaxError } from "./errors.js";
import { type Fail, MAX_LENGTH, type Node, parseWhen } from "./when-parser.js";

export interface WhenFilter {
  readonly expression: string;
  matches(context: HookContext): boolean;
}

/** Parses and type-checks a filter. Throws WhenSyntaxError, whose message names the column and the fix. */
export function compileWhen(expression: string): WhenFilter {
  const fail = (column: number, problem: string, hint: string): never => {
    throw new WhenSyntaxError(expression, column, problem, hint);
  };
  if (expression.length > MAX_LENGTH) {
    fail(
      MAX_LENGTH + 1,
      `the filter is longer than ${MAX_LENGTH} characters`,
      "move the logic into a shell hook",
    );
  }
  if (expression.trim() === "") {
    fail(1, "the filter is empty", 'write a condition such as status == "failed", or remove when');
  }
  const root = parseWhen(expression, fail);
  check(root, fail);
  return { expression, matches: (context) => truthy(evaluate(root, context)) };
}

/** The config layer's check: undefined when the filter is valid, else the message to show. */
export function validateWhen(expression: string): string | undefined {
  try {
    compileWhen(expression);
    return undefined;
  } catch (error) {
    if (error instanceof WhenSyntaxError) return error.message;
    throw error;
  }
}

type StaticType = "string" | "number" | "boolean" | "null" | "object" | "array" | "any";

function staticType(node: Node): StaticType {
  if (node.kind === "literal") return node.value === null ? "null" : (typeof node.value as StaticType);
  if (node.kind === "field") return node.info.type;
  return "boolean";
}

function label(node: Node): string {
  if (node.kind === "field") return node.name;
  if (node.kind === "literal") return JSON.stringify(node.value);
  return "the condition";
}

function check(node: Node, fail: Fail): void {
  if (node.kind === "not") {
    check(node.operand, fail);
    return;
  }
  if (node.kind === "literal" || node.kind === "field") return;
  check(node.left, fail);
  check(node.right, fail);
  if (node.kind === "logic") return;
  const sides = [node.left, node.right];
  for (const side of sides) {
    if (staticType(side) === "array")
      fail(side.column, `${label(side)} is a list and cannot be compared`, "compare a single field instead");
    if (staticType(side) === "object") {
      const examples: Record<string, string> = {
        job: "job.status",
        result: "result.success",
        metadata: "metadata.shouldNotify",
      };
      const example = (side.kind === "field" && examples[side.path]) || `${label(side)}.input`;
      fail(
        side.column,
        `${label(side)} is an object and cannot be compared`,
        `compare one of its fields, e.g. ${example}`,
      );
    }
  }
  const [lt, rt] = sides.map(staticType) as [StaticType, StaticType];
  if (node.op === "==" || node.op === "!=") {
    if (lt !== rt && lt !== "null" && rt !== "null" && lt !== "any" && rt !== "any") {
      const hint =
        (lt === "number" && rt === "string") || (lt === "string" && rt === "number")
          ? "write numbers without quotes and strings in quotes"
          : "compare values of the same type";
      fail(
        node.column,
        `${label(node.left)} is a ${lt} and ${label(node.right)} is a ${rt}, so ${node.op} is always ${node.op === "!="}`,
        hint,
      );
    }
    const field = sides.find((s) => s.kind === "field");
    const literal = sides.find((s) => s.kind === "literal");
    if (
      field?.kind === "field" &&
      literal?.kind === "literal" &&
      field.info.values &&
      typeof literal.value === "string"
    ) {
      if (!field.info.values.includes(literal.value)) {
        fail(
          literal.column,
          `${JSON.stringify(literal.value)} is never a value of ${field.name}`,
          `use one of ${field.info.values.join(", ")}`,
        );
      }
    }
    return;
  }
  for (const [side, type] of [
    [node.left, lt],
    [node.right, rt],
  ] as const) {
    if (type !== "number" && type !== "string" && type !== "any") {
      fail(
        side.column,
        `${node.op} compares numbers or strings, but ${label(side)} is a ${type}`,
        "compare a number or a string",
      );
    }
  }
  if (lt !== rt && lt !== "any" && rt !== "any") {
    fail(
      node.column,
      `${label(node.left)} is a ${lt} and ${label(node.right)} is a ${rt}`,
      "write numbers without quotes and strings in quotes",
    );
  }
}

function lookup(context: HookContext, path: string): unknown {
  let value: unknown = context;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value ?? null;
}

function evaluate(node: Node, context: HookContext): unknown {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "field":
      return lookup(context, node.path);
    case "not":
      return !truthy(evaluate(node.operand, context));
    case "logic": {
      const left = truthy(evaluate(node.left, context));
      if (node.op === "&&") return left && truthy(evaluate(node.right, context));
      return left || truthy(evaluate(node.right, context));
    }
    case "compare": {
      const left = evaluate(node.left, context);
      const right = evaluate(node.right, context);
      if (node.op === "==") return left === right;
      if (node.op === "!=") return left !== right;
      const comparable =
        (typeof left === "number" && typeof right === "number") ||
        (typeof left === "string" && typeof right === "string");
      if (!comparable) return false;
      const [a, b] = [left, right] as [number, number];
      if (node.op === "<") return a < b;
      if (node.op === "<=") return a <= b;
      if (node.op === ">") return a > b;
      return a >= b;
    }
  }
}

function truthy(value: unknown): boolean {
  return (
    value !== null &&
    value !== undefined &&
    value !== false &&
    value !== 0 &&
    value !== "" &&
    !Number.isNaN(value)
  );
}
