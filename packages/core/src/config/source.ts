import { readFile } from "node:fs/promises";
import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, visit } from "yaml";
import type { ConfigIssue } from "./errors.js";

export type Segment = string | number;

/** A parsed YAML file, kept so any later finding can be mapped back to a line and column. */
export interface SourceFile {
  absPath: string;
  displayPath: string;
  doc: Document;
  lineCounter: LineCounter;
  /** The file's text as read, so an edit can tell whether the file changed since. */
  text: string;
  /**
   * Set for configuration given as an object rather than a file: issues then name this key path
   * prefix (e.g. `agents[2]`) instead of a line the user never wrote.
   */
  keyPrefix?: Segment[];
}

/** Where a value was written: the file and the key path inside that file. */
export interface Origin {
  file: SourceFile;
  path: Segment[];
}

/**
 * A configuration value that remembers where it came from. Merging fleet defaults, agent files and
 * overrides works on these trees, so an error found after merging still points at the file and line
 * that supplied the offending value.
 */
export type SNode =
  | { kind: "map"; entries: Map<string, SNode>; origin: Origin }
  | { kind: "seq"; items: SNode[]; origin: Origin }
  | {
      kind: "scalar";
      value: unknown;
      origin: Origin;
      /** The whole scalar was one `${...}`, so it may be coerced to the type the schema expects. */
      fromEnv?: boolean;
      /** Part of the value came from an environment variable whose name looks secret. */
      secret?: boolean;
    };

const YAML_HINT = "fix the YAML syntax";
// biome-ignore lint/suspicious/noTemplateCurlyInString: shows the user the literal ${VAR} syntax
const YAML_REFERENCE_HINT = "fix the YAML syntax; inside { } and [ ], put ${VAR} references in quotes";

/** The quoting advice only where the failing line has a `${`: a duplicate key or a bad indent is not about it. */
function yamlHint(text: string, line: number): string {
  return text.split("\n")[line - 1]?.includes("${") ? YAML_REFERENCE_HINT : YAML_HINT;
}

/**
 * A `${VAR}` standing as a whole value inside a flow collection, unquoted: `{ url: ${DATABASE_URL} }`
 * or `[${A}, ${B}]`. That is how people write it (the docs do), but YAML reads the `{` of `${` as
 * a new map and the document does not parse. Tried only on a document that failed: quoting such
 * references is the one reading that makes it valid, and it changes no line (error positions stay
 * on the right line).
 */
const FLOW_REFERENCE = /([[{,]\s*|[[{,]\s*[^\s{}[\],:#'"]+\s*:\s+)(\$\{[^{}\s,'"]*\})(?=\s*[,}\]])/g;

function quoteFlowReferences(text: string): string {
  return text.replace(FLOW_REFERENCE, (_all, before: string, reference: string) => `${before}"${reference}"`);
}

export interface ReadResult {
  file?: SourceFile;
  node?: SNode;
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
}

/**
 * `text`, when given, stands in for the file's content (checking an edit before it is written).
 * `keyPrefix` marks text made from an object (see SourceFile.keyPrefix).
 */
export async function readYamlFile(
  absPath: string,
  displayPath: string,
  text?: string,
  keyPrefix?: Segment[],
): Promise<ReadResult> {
  try {
    text ??= await readFile(absPath, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    const message = missing ? "file not found" : `cannot read the file: ${(error as Error).message}`;
    return { issues: [{ file: displayPath, line: 0, col: 0, path: "", message }], warnings: [] };
  }
  let lineCounter = new LineCounter();
  let doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    const quoted = quoteFlowReferences(text);
    if (quoted !== text) {
      const retryCounter = new LineCounter();
      const retry = parseDocument(quoted, { lineCounter: retryCounter, prettyErrors: false, merge: true });
      // Only a full repair is taken; otherwise the errors are reported against the text as written.
      if (retry.errors.length === 0) {
        ({ text, doc, lineCounter } = { text: quoted, doc: retry, lineCounter: retryCounter });
      }
    }
  }
  const file: SourceFile = { absPath, displayPath, doc, lineCounter, text };
  if (keyPrefix) file.keyPrefix = keyPrefix;
  const toIssue = (e: { message: string; pos: [number, number] }): ConfigIssue => {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    return { file: displayPath, line, col, path: "", message: firstLine(e.message) };
  };
  const warnings = doc.warnings.map(toIssue);
  if (doc.errors.length > 0) {
    // The parser's recovery reports follow-on errors for the same mistake; one per line is the signal.
    const seenLines = new Set<number>();
    const issues = doc.errors
      .map((e) => toIssue(e))
      .map((issue) => ({ ...issue, hint: yamlHint(text, issue.line) }))
      .filter((issue) => !seenLines.has(issue.line) && seenLines.add(issue.line));
    return { file, issues, warnings };
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    // Aliases resolve only here: an alias to no anchor, or too many aliases (an expansion bomb).
    return {
      file,
      issues: [{ ...aliasIssue(doc, error, lineCounter, displayPath), hint: YAML_HINT }],
      warnings,
    };
  }
  return { file, node: fromJS(data, { file, path: [] }), issues: [], warnings };
}

function aliasIssue(
  doc: Document,
  error: unknown,
  lineCounter: LineCounter,
  displayPath: string,
): ConfigIssue {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  const { line, col } = lineCounter.linePos(offset);
  return { file: displayPath, line, col, path: "", message: firstLine((error as Error).message) };
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.replace(/:$/, "");
}

export function fromJS(value: unknown, origin: Origin): SNode {
  if (Array.isArray(value)) {
    return { kind: "seq", origin, items: value.map((v, i) => fromJS(v, child(origin, i))) };
  }
  if (value !== null && typeof value === "object" && !(value instanceof Date)) {
    const entries = new Map<string, SNode>();
    for (const [key, v] of Object.entries(value)) entries.set(key, fromJS(v, child(origin, key)));
    return { kind: "map", origin, entries };
  }
  return { kind: "scalar", origin, value };
}

function child(origin: Origin, segment: Segment): Origin {
  return { file: origin.file, path: [...origin.path, segment] };
}

export function toPlain(node: SNode | undefined): unknown {
  if (!node) return undefined;
  if (node.kind === "scalar") return node.value;
  if (node.kind === "seq") return node.items.map(toPlain);
  const out: Record<string, unknown> = {};
  for (const [key, value] of node.entries) out[key] = toPlain(value);
  return out;
}

export function getChild(node: SNode | undefined, segment: Segment): SNode | undefined {
  if (!node) return undefined;
  if (node.kind === "map") return node.entries.get(String(segment));
  if (node.kind === "seq" && typeof segment === "number") return node.items[segment];
  return undefined;
}

/** The deepest node along `path`, and the part of the path that does not exist in the tree. */
export function deepest(root: SNode, path: readonly Segment[]): { node: SNode; rest: Segment[] } {
  let node = root;
  for (let i = 0; i < path.length; i++) {
    const next = getChild(node, path[i]!);
    if (!next) return { node, rest: path.slice(i) };
    node = next;
  }
  return { node, rest: [] };
}

export function walkScalars(
  node: SNode,
  visit: (leaf: Extract<SNode, { kind: "scalar" }>, path: Segment[]) => void,
  path: Segment[] = [],
): void {
  if (node.kind === "scalar") visit(node, path);
  else if (node.kind === "seq") {
    for (const [i, item] of node.items.entries()) walkScalars(item, visit, [...path, i]);
  } else for (const [key, value] of node.entries) walkScalars(value, visit, [...path, key]);
}

export function formatPath(path: readonly Segment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${segment}` : segment;
  }
  return out;
}

/**
 * Builds an issue for a value at `path` inside `root`. The position is that of the key (`at: "key"`,
 * for unknown or misplaced keys) or of the value; when the path does not exist (a required key is
 * missing) it is the key of the nearest enclosing entry.
 */
export function issueAt(
  root: SNode,
  path: readonly Segment[],
  message: string,
  options: { at?: "key" | "value"; hint?: string } = {},
): ConfigIssue {
  const { node, rest } = deepest(root, path);
  return originIssue({ file: node.origin.file, path: [...node.origin.path, ...rest] }, message, options);
}

export function originIssue(
  origin: Origin,
  message: string,
  options: { at?: "key" | "value"; hint?: string } = {},
): ConfigIssue {
  const { keyPrefix } = origin.file;
  const { line, col } = keyPrefix
    ? { line: 0, col: 0 }
    : position(origin.file, origin.path, options.at ?? "value");
  const issue: ConfigIssue = {
    file: origin.file.displayPath,
    line,
    col,
    path: formatPath([...(keyPrefix ?? []), ...origin.path]),
    message,
  };
  if (options.hint) issue.hint = options.hint;
  return issue;
}

function position(
  file: SourceFile,
  path: readonly Segment[],
  at: "key" | "value",
): { line: number; col: number } {
  let node: Node | null | undefined = file.doc.contents as Node | null;
  let valueOffset = node?.range?.[0] ?? 0;
  let keyOffset: number | undefined;
  let complete = true;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) {
        complete = false;
        break;
      }
      keyOffset = (pair.key as Node).range?.[0] ?? valueOffset;
      node = pair.value as Node | null;
      valueOffset = node?.range?.[0] ?? keyOffset;
    } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
      node = node.items[segment] as Node;
      valueOffset = node.range?.[0] ?? valueOffset;
      keyOffset = valueOffset;
    } else {
      complete = false;
      break;
    }
  }
  const offset = complete && at === "value" ? valueOffset : (keyOffset ?? valueOffset);
  return file.lineCounter.linePos(offset);
}
