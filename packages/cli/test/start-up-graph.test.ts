import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { requireCompiled } from "../src/code-cache.js";
import { assertBuilt, BIN } from "./helpers/cli.js";

// What `status`, `jobs` and `job` load before their action runs is what every one of them waits
// for (issue #20). esbuild names each bundled module in a `// path` comment, so the built files
// say which modules a static import brings in.
beforeAll(assertBuilt);

const FREQUENT = join(dirname(BIN), "frequent.js");
const QUERY = join(dirname(BIN), "query.cjs");

/** The files `file` loads before it runs: its static imports, transitively (dynamic ones left out). */
function staticGraph(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(file, "utf8");
  // `import { a } from "./x.js";` (over several lines) and `import "./x.js";`, relative ones only.
  for (const [, spec] of text.matchAll(/^(?:import\s[^;]*?\bfrom\s+|import\s+)"(\.{1,2}\/[^"]+)"/gm))
    staticGraph(join(dirname(file), spec!), seen);
  return seen;
}

function modulesIn(files: Set<string>): string[] {
  return [...files].flatMap((f) =>
    [...readFileSync(f, "utf8").matchAll(/^\/\/ (\S+\.(?:[cm]?js|ts))$/gm)].map((m) => m[1]!),
  );
}

describe("what the frequent commands load at start", () => {
  const modules = () => modulesIn(staticGraph(FREQUENT));

  it("leaves out pg, which only a fleet on PostgreSQL uses", () => {
    expect(modules().filter((m) => m.includes("node_modules/pg"))).toEqual([]);
  });

  it("leaves out the state store, better-sqlite3 and croner until a command opens the store", () => {
    // `status` through a running daemon needs the control client and its rendering only.
    const loaded = modules();
    expect(loaded.length).toBeGreaterThan(20);
    expect(
      loaded.filter((m) =>
        /state\/manager\.ts|state\/db\.ts|node_modules\/better-sqlite3|node_modules\/croner/.test(m),
      ),
    ).toEqual([]);
  });
});

describe("query.cjs, which status, jobs and job run from (src/query.ts)", () => {
  it("carries neither pg nor the fleet's parser (zod, YAML): a query that needs the parse is the program's", () => {
    // Minified, it has no `// path` comments: its source map names what it was built from.
    const modules = (JSON.parse(readFileSync(`${QUERY}.map`, "utf8")) as { sources: string[] }).sources;
    expect(modules.some((m) => m.endsWith("core/src/state/manager.ts"))).toBe(true);
    expect(modules.filter((m) => /node_modules\/(pg|zod|yaml)\//.test(m))).toEqual([]);
  });

  it("has a code cache this Node takes", () => {
    // A cache V8 refuses (another Node, other V8 flags) costs the compile it was made to save.
    expect(requireCompiled(QUERY).rejected).toBe(false);
  });
});

describe("dockerode.cjs, which Docker commands load dockerode from (core's docker/engine.ts)", () => {
  it("leaves its BuildKit session (gRPC, protobuf) and SSH client unloaded until used", () => {
    // In a process of its own: what requiring it loads, from the module cache.
    const probe = `const D = require(${JSON.stringify(join(dirname(BIN), "dockerode.cjs"))});
      const docker = new D({ socketPath: "/nonexistent.sock" });
      const heavy = Object.keys(require.cache).filter((k) => /node_modules\\/(@grpc|protobufjs|@protobufjs|ssh2)\\//.test(k));
      console.log(JSON.stringify({ client: typeof docker.listContainers, heavy }));`;
    const out = execFileSync(process.execPath, ["-e", probe], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ client: "function", heavy: [] });
  });
});
