import { createRequire } from "node:module";
import type { Script } from "node:vm";

/**
 * Runs a CommonJS file (dist/query.cjs) compiled from the V8 code cache beside it,
 * `<file>.v8cache`, which scripts/bundle-cli.mjs writes at build time after running the file's
 * commands once. Compiling the ES modules these commands loaded took ~15 ms of their start-up
 * (and Node 20 keeps no compile cache for ES modules); from the cache V8 takes the functions the
 * commands run as they were compiled then. The cache
 * is part of the build, as trusted as the bundle beside it; nothing writes it at run time. V8
 * refuses a cache made by another Node or V8 version or with other V8 flags
 * (`script.cachedDataRejected`), and the file then compiles as without one.
 */
export function requireCompiled(file: string, cache = cacheFileOf(file)): Compiled {
  // Built-ins through require, not `import`: node:fs's ES module facade loads its streams (~4 ms).
  const load = createRequire(file);
  const { readFileSync } = load("node:fs") as typeof import("node:fs");
  const vm = load("node:vm") as typeof import("node:vm");
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cache);
  } catch {
    // No cache (a build that wrote none): compiled from source.
  }
  const script = new vm.Script(wrapped(readFileSync(file, "utf8")), {
    filename: file,
    cachedData,
    // import() inside the file works as in a module `require` loaded (Node ≥ 20.12).
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  const { dirname } = load("node:path") as typeof import("node:path");
  script.runInThisContext()(module.exports, load, module, file, dirname(file));
  return {
    exports: module.exports,
    script,
    rejected: cachedData ? script.cachedDataRejected === true : undefined,
  };
}

export interface Compiled {
  exports: unknown;
  /** What `script.createCachedData()` turns into a cache, after the file's code has run. */
  script: Script;
  /** Whether V8 refused the cache; undefined when there was none. */
  rejected: boolean | undefined;
}

export function cacheFileOf(file: string): string {
  return `${file}.v8cache`;
}

/** The file in Node's CommonJS wrapper, so it runs as `require` runs it. */
function wrapped(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}
