/**
 * Tokenizer and recursive-descent parser for `when` filters (grammar in when.ts). Every error is
 * reported through `fail`, which throws WhenSyntaxError with the column and the fix.
 */
import { type ContextField, HOOK_CONTEXT_FIELDS, METADATA_FIELD } from "./context.js";

export const MAX_LENGTH = 1000;
// Deep nesting is the one way a short string could exhaust the parser's stack.
const MAX_DEPTH = 32;

export type Value = string | number | boolean | null;
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";
const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>(["==", "!=", "<", "<=", ">", ">="]);

export type Node =
  | { kind: "literal"; value: Value; column: number }
  | { kind: "field"; name: string; path: string; info: ContextField; column: number }
  | { kind: "not"; operand: Node; column: number }
  | { kind: "logic"; op: "&&" | "||"; left: Node; right: Node; column: number }
  | { kind: "compare"; op: CompareOp; left: Node; right: Node; column: number };

type Token =
  | { kind: "string"; value: string; column: number }
  | { kind: "number"; value: number; column: number }
  | { kind: "name"; value: string; column: number }
  | { kind: "op"; value: string; column: number }
  | { kind: "end"; column: number };

const LANGUAGE_HINT =
  'a filter uses fields, "strings", numbers, true, false, null, == != < <= > >=, &&, ||, ! and parentheses';

const SHORT_FIELD_NAMES = [
  ...new Set(Object.keys(HOOK_CONTEXT_FIELDS).map((path) => path.replace(/^job\./, ""))),
].filter((name) => name !== "job");

/**
 * `agent` was the agent's name before the payload took the reference's `agent: { id, name }`;
 * filters written then (`agent == "triager"`) keep their meaning.
 */
const ALIASES: Readonly<Record<string, string>> = { agent: "agent.name" };

export type Fail = (column: number, problem: string, hint: string) => never;

export function parseWhen(expression: string, fail: Fail): Node {
  return new Parser(tokenize(expression, fail), fail).parse();
}

function tokenize(expr: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    const column = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let value = "";
      i++;
      for (;;) {
        if (i >= expr.length) fail(column, "this string is never closed", `end it with ${c}`);
        const ch = expr[i]!;
        if (ch === c) break;
        if (ch === "\\") {
          const escaped = expr[i + 1];
          const map: Record<string, string> = { n: "\n", t: "\t", "\\": "\\", '"': '"', "'": "'" };
          if (escaped === undefined || !Object.hasOwn(map, escaped)) {
            fail(i + 1, "unknown escape in a string", "use \\\" \\' \\\\ \\n or \\t");
          }
          value += map[escaped!];
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      i++;
      tokens.push({ kind: "string", value, column });
      continue;
    }
    const number = /^-?(?:\d+(?:\.\d+)?|\.\d+)/.exec(expr.slice(i));
    if (number) {
      i += number[0].length;
      if (/[A-Za-z_]/.test(expr[i] ?? ""))
        fail(column, `"${number[0]}${expr[i]}" is not a number`, LANGUAGE_HINT);
      tokens.push({ kind: "number", value: Number(number[0]), column });
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(expr.slice(i));
    if (name) {
      i += name[0].length;
      if (expr[i] === ".")
        fail(i + 1, `"${name[0]}." is not a field`, "a field path is names joined by dots");
      tokens.push({ kind: "name", value: name[0], column });
      continue;
    }
    const two = expr.slice(i, i + 2);
    if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) {
      tokens.push({ kind: "op", value: two, column });
      i += 2;
      continue;
    }
    if ("<>!()".includes(c)) {
      tokens.push({ kind: "op", value: c, column });
      i++;
      continue;
    }
    if (c === "=") fail(column, 'unexpected "="', "use == to compare values");
    if (c === "&") fail(column, 'unexpected "&"', 'use && for "and"');
    if (c === "|") fail(column, 'unexpected "|"', 'use || for "or"');
    fail(column, `unexpected character ${JSON.stringify(c)}`, LANGUAGE_HINT);
  }
  tokens.push({ kind: "end", column: expr.length + 1 });
  return tokens;
}

function describe(token: Token): string {
  switch (token.kind) {
    case "end":
      return "end of the filter";
    case "string":
      return `string ${JSON.stringify(token.value)}`;
    case "number":
      return `number ${token.value}`;
    case "name":
      return `"${token.value}"`;
    case "op":
      return `"${token.value}"`;
  }
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly fail: Fail,
  ) {}

  parse(): Node {
    const node = this.or();
    const rest = this.peek();
    if (rest.kind !== "end") {
      this.fail(rest.column, `unexpected ${describe(rest)}`, "join conditions with && or ||");
    }
    return node;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private isOp(value: string): boolean {
    const token = this.peek();
    return token.kind === "op" && token.value === value;
  }

  private enter(column: number): void {
    if (++this.depth > MAX_DEPTH)
      this.fail(column, `nesting is deeper than ${MAX_DEPTH} levels`, "simplify the filter");
  }

  private or(): Node {
    let left = this.and();
    while (this.isOp("||")) {
      const { column } = this.tokens[this.pos++]!;
      left = { kind: "logic", op: "||", left, right: this.and(), column };
    }
    return left;
  }

  private and(): Node {
    let left = this.compare();
    while (this.isOp("&&")) {
      const { column } = this.tokens[this.pos++]!;
      left = { kind: "logic", op: "&&", left, right: this.compare(), column };
    }
    return left;
  }

  private compare(): Node {
    const left = this.unary();
    const token = this.peek();
    if (token.kind !== "op" || !COMPARE_OPS.has(token.value)) return left;
    this.pos++;
    const right = this.unary();
    const after = this.peek();
    if (after.kind === "op" && COMPARE_OPS.has(after.value)) {
      this.fail(
        after.column,
        "comparisons cannot be chained",
        "join them with &&, e.g. cost_usd > 1 && cost_usd < 5",
      );
    }
    return { kind: "compare", op: token.value as CompareOp, left, right, column: token.column };
  }

  private unary(): Node {
    const token = this.peek();
    if (token.kind === "op" && token.value === "!") {
      this.pos++;
      this.enter(token.column);
      const operand = this.unary();
      this.depth--;
      return { kind: "not", operand, column: token.column };
    }
    return this.primary();
  }

  private primary(): Node {
    const token = this.tokens[this.pos++]!;
    const { column } = token;
    switch (token.kind) {
      case "string":
      case "number":
        return { kind: "literal", value: token.value, column };
      case "name": {
        const keyword: Record<string, Value> = { true: true, false: false, null: null };
        if (Object.hasOwn(keyword, token.value))
          return { kind: "literal", value: keyword[token.value]!, column };
        return resolveField(token.value, column, this.fail);
      }
      case "end":
        return this.fail(
          column,
          "the filter ends too early",
          'finish the condition, e.g. status == "failed"',
        );
      case "op":
        if (token.value === "(") {
          this.enter(column);
          const inner = this.or();
          if (!this.isOp(")")) {
            const next = this.peek();
            this.fail(
              next.column,
              `expected ")" but found ${describe(next)}`,
              `close the "(" at column ${column}`,
            );
          }
          this.pos++;
          this.depth--;
          return inner;
        }
    }
    return this.fail(column, `unexpected ${describe(token)}`, "expected a field, a value, ! or (");
  }
}

function resolveField(name: string, column: number, fail: Fail): Node {
  if (name.startsWith("metadata.")) return { kind: "field", name, path: name, info: METADATA_FIELD, column };
  const alias = Object.hasOwn(ALIASES, name) ? ALIASES[name] : undefined;
  if (alias !== undefined)
    return { kind: "field", name, path: alias, info: HOOK_CONTEXT_FIELDS[alias]!, column };
  for (const path of [name, `job.${name}`]) {
    if (Object.hasOwn(HOOK_CONTEXT_FIELDS, path)) {
      return { kind: "field", name, path, info: HOOK_CONTEXT_FIELDS[path]!, column };
    }
  }
  return fail(
    column,
    `unknown field "${name}"`,
    `use one of ${SHORT_FIELD_NAMES.join(", ")}, or metadata.<key>`,
  );
}
