import { readdirSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import * as core from "@herdctl/core";
import * as internal from "@herdctl/core/internal";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";

const DOC = readFileSync(resolve(import.meta.dirname, "../../../docs/library.md"), "utf8");
/**
 * The declarations `npm run build` emits from src/index.ts: what a user's TypeScript sees. Reading
 * them instead of the sources spares checking every source file again (the build's tsc did).
 */
const INDEX = resolve(import.meta.dirname, "../dist/index.d.ts");
const SOURCES = resolve(import.meta.dirname, "../src");
const EXAMPLES = resolve(import.meta.dirname, "../../../examples/library");
const MANIFEST = JSON.parse(readFileSync(resolve(import.meta.dirname, "../package.json"), "utf8")) as {
  exports: Record<string, { types: string; import: string }>;
};

type Kind = "class" | "function" | "constant" | "type";

/** The rows of the first markdown table after `heading` whose first cell is a `name`. */
function tableRows(heading: string): Array<[string, string]> {
  const start = DOC.indexOf(heading);
  if (start < 0) throw new Error(`docs/library.md has no "${heading}"`);
  const rows: Array<[string, string]> = [];
  for (const line of DOC.slice(start).split("\n").slice(1)) {
    if (line.startsWith("## ")) break;
    const row = /^\| `(\w+)` \| (\w+) \|/.exec(line);
    if (row) rows.push([row[1]!, row[2]!]);
    else if (rows.length > 0 && !line.startsWith("|")) break;
  }
  return rows;
}

const PUBLIC = tableRows("## What is public and what is internal") as Array<[string, Kind]>;
const MEMBERS = tableRows("The public members of `FleetManager`") as Array<[string, "method" | "property"]>;
const INTERNAL = /<!-- internal-exports: start -->([\s\S]*?)<!-- internal-exports: end -->/
  .exec(DOC)![1]!
  .split(/[\s,]+/)
  .filter(Boolean);

const EXAMPLE_FILES = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith(".mjs"))
  .map((f) => resolve(EXAMPLES, f));

/** Fails with what to do when a source changed after the last build (its .js is older or missing). */
function assertBuilt(): void {
  const dist = resolve(SOURCES, "../dist");
  const stale = readdirSync(SOURCES, { recursive: true, encoding: "utf8" }).find((f) => {
    if (!f.endsWith(".ts")) return false;
    const out = statSync(resolve(dist, f.replace(/\.ts$/, ".js")), { throwIfNoEntry: false });
    return !out || out.mtimeMs < statSync(resolve(SOURCES, f)).mtimeMs;
  });
  if (stale)
    throw new Error(`packages/core/dist is older than src/${stale}: run npm run build, then this test`);
}

/** One program for the declared entry point and the examples, which import it. */
function createProgram(): ts.Program {
  return ts.createProgram([INDEX, ...EXAMPLE_FILES], {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    allowJs: true,
    checkJs: true,
    noEmit: true,
    skipLibCheck: true,
    paths: { "@herdctl/core": [INDEX] },
  });
}

/** How TypeScript sees the package's entry point: each export's kind and doc comment. */
function exportsOfIndex(
  program: ts.Program,
): Map<string, { kind: Kind | "other"; doc: string; symbol: ts.Symbol; checker: ts.TypeChecker }> {
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(INDEX)!;
  const out = new Map();
  for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(file)!)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const f = symbol.flags;
    const kind: Kind | "other" =
      f & ts.SymbolFlags.Class
        ? "class"
        : f & ts.SymbolFlags.Function
          ? "function"
          : f & ts.SymbolFlags.Variable
            ? "constant"
            : f & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias)
              ? "type"
              : "other";
    const doc = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    out.set(exported.name, { kind, doc, symbol, checker });
  }
  return out;
}

describe("the public API documented in docs/library.md", () => {
  let program: ts.Program;
  let declared: ReturnType<typeof exportsOfIndex>;

  beforeAll(() => {
    assertBuilt();
    program = createProgram();
    declared = exportsOfIndex(program);
  }, 120_000);

  it("lists the public names, FleetManager's members and the internal names", () => {
    expect(PUBLIC.length).toBeGreaterThan(30);
    expect(MEMBERS.length).toBeGreaterThan(15);
    expect(INTERNAL.length).toBeGreaterThan(50);
    expect(PUBLIC.filter(([name]) => INTERNAL.includes(name))).toEqual([]);
  });

  it("exports every documented value from @herdctl/core with the documented kind", () => {
    const problems: string[] = [];
    for (const [name, kind] of PUBLIC) {
      if (kind === "type") continue;
      const value = (core as Record<string, unknown>)[name];
      const actual =
        value === undefined
          ? "missing"
          : typeof value === "function"
            ? /^class\b/.test(Function.prototype.toString.call(value))
              ? "class"
              : "function"
            : "constant";
      if (actual !== kind) problems.push(`${name}: documented as ${kind}, is ${actual}`);
    }
    expect(problems).toEqual([]);
  });

  it("declares every documented name with its kind and a doc comment", () => {
    const problems: string[] = [];
    for (const [name, kind] of PUBLIC) {
      const found = declared.get(name);
      if (!found) problems.push(`${name}: not exported by dist/index.d.ts (src/index.ts)`);
      else if (found.kind !== kind)
        problems.push(`${name}: documented as ${kind}, declared as ${found.kind}`);
      else if (!found.doc) problems.push(`${name}: no doc comment`);
    }
    expect(problems).toEqual([]);
  });

  it("gives FleetManager every documented member, each with a doc comment", () => {
    const { symbol, checker } = declared.get("FleetManager")!;
    const problems: string[] = [];
    for (const [name, kind] of MEMBERS) {
      const member = symbol.members?.get(name as ts.__String);
      const isMethod = member && member.flags & ts.SymbolFlags.Method;
      if (!member) problems.push(`${name}: not a member`);
      else if ((kind === "method") !== Boolean(isMethod)) problems.push(`${name}: not a ${kind}`);
      else if (!ts.displayPartsToString(member.getDocumentationComment(checker)).trim())
        problems.push(`${name}: no doc comment`);
    }
    expect(problems).toEqual([]);
    expect(typeof core.FleetManager.prototype.addAgent).toBe("function");
  });

  it("type-checks the examples in examples/library against the declared API", () => {
    expect(EXAMPLE_FILES.length).toBeGreaterThanOrEqual(4);
    for (const file of EXAMPLE_FILES) expect(program.getSourceFile(file), file).toBeDefined();
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file
        ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
        : "";
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(problems).toEqual([]);
  }, 120_000);

  it("exports from @herdctl/core nothing but the documented names, values and types", () => {
    const names = new Set(PUBLIC.map(([name]) => name));
    expect(Object.keys(core).filter((name) => !names.has(name))).toEqual([]);
    expect([...declared.keys()].filter((name) => !names.has(name))).toEqual([]);
  });

  it("classifies every value of @herdctl/core/internal as public or internal", () => {
    const documented = new Set([...PUBLIC.map(([name]) => name), ...INTERNAL]);
    expect(Object.keys(internal).filter((name) => !documented.has(name))).toEqual([]);
    expect(INTERNAL.filter((name) => !(name in internal))).toEqual([]);
    expect(INTERNAL.filter((name) => name in core)).toEqual([]);
  });

  it("maps the package's entry points: the public root, and the internal ones the CLI and dashboard use", () => {
    expect(MANIFEST.exports).toEqual({
      ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
      "./essentials": { types: "./dist/essentials.d.ts", import: "./dist/essentials.js" },
      "./internal": { types: "./dist/internal.d.ts", import: "./dist/internal.js" },
      "./internal/*": { types: "./dist/*.d.ts", import: "./dist/*.js" },
    });
  });
});
