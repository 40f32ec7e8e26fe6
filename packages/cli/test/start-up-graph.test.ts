import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { requireCompiled } from "../src/code-cache.js";
import { assertBuilt, BIN } from "./helpers/cli.js";

// What `status`, `jobs`, `job` and `trigger` load before their action runs is what every one of
// them waits for (issue #20).
beforeAll(assertBuilt);

const FREQUENT = join(dirname(BIN), "frequent.cjs");
const QUERY = join(dirname(BIN), "query.cjs");

/** What a build's source map says it was built from. */
function sourcesOf(file: string): string[] {
  // Minified, the files have no `// path` comments: their source maps name what they were built from.
  return (JSON.parse(readFileSync(`${file}.map`, "utf8")) as { sources: string[] }).sources;
}

describe("frequent.cjs, which status, jobs, job and trigger run from (src/frequent.ts)", () => {
  it("carries neither pg nor the Agent SDK, which load from their own files when used", () => {
    const modules = sourcesOf(FREQUENT);
    expect(modules.some((m) => m.endsWith("src/job-runner.ts"))).toBe(true);
    expect(modules.filter((m) => /node_modules\/(pg|@anthropic-ai)\//.test(m))).toEqual([]);
  });

  it("loads none of what a command's work needs until the command runs", () => {
    // `status` through a running daemon needs the control client and its rendering only; the job
    // runner (child_process), the state store (better-sqlite3's addon, crypto) and the control
    // client (net, http) load when a command imports them. In a process of its own: the
    // built-ins and shared objects that requiring the file loaded.
    const probe = `const before = new Set(process.moduleLoadList);
      require(${JSON.stringify(FREQUENT)});
      console.log(JSON.stringify({
        builtins: process.moduleLoadList.filter((m) => !before.has(m)),
        addons: process.report.getReport().sharedObjects.filter((o) => o.endsWith(".node")),
      }));`;
    const loaded = JSON.parse(execFileSync(process.execPath, ["-e", probe], { encoding: "utf8" }));
    expect(loaded.addons).toEqual([]);
    expect(
      loaded.builtins.filter((m: string) => /child_process|\bnet\b|http|crypto|tls|worker|zlib/.test(m)),
    ).toEqual([]);
  });

  it("has a code cache this Node takes", () => {
    expect(requireCompiled(FREQUENT).rejected).toBe(false);
  });
});

describe("query.cjs, which status, jobs and job run from (src/query.ts)", () => {
  it("carries neither pg nor the fleet's parser (zod, YAML): a query that needs the parse is the program's", () => {
    const modules = sourcesOf(QUERY);
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
