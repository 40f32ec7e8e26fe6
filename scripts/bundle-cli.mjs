/**
 * Bundles the CLI into packages/cli/dist/: herdctl.cjs (src/entry.ts, which bin/herdctl.cjs starts)
 * answers `--version`, `--help`, `status`, `jobs` and `job` as CommonJS, and starts index.js (the
 * ES module program) for the rest, so a command starts by reading a few files instead of resolving
 * and loading hundreds of modules. What only some commands
 * use (the fleet manager, config schemas, job runner, web server) is split into chunks beside it,
 * loaded by those commands' dynamic imports. better-sqlite3's JavaScript is bundled (a dozen
 * CommonJS files less to resolve and load before a query); its native addon stays in the installed
 * package, where core's state/db.ts loads it from. Kept outside: the Agent SDK and claude-code
 * (they spawn their own files, found next to their own package) and dockerode (loaded only by
 * Docker commands, through the engine's own lazy import), discord.js and @slack/bolt (loaded only
 * when an agent has chat.discord or chat.slack, by the connector registry's import). The
 * dashboard's built client is copied into dist/client, so the herdctl package carries everything
 * it serves (run after `npm run build:client -w @herdctl/web`).
 *
 *   node scripts/bundle-cli.mjs [outdir]
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const cli = fileURLToPath(new URL("../packages/cli/", import.meta.url));
// The ES module program, which herdctl.cjs starts.
const bundle = "dist/index.js";
const outdir = process.argv[2] ?? join(cli, dirname(bundle));
const entry = basename(bundle, ".js");
// The workspace packages from their TypeScript, so the source map points straight at it.
const source = (path) => fileURLToPath(new URL(`../packages/${path}`, import.meta.url));
// Each entry point of a workspace package, as its package.json `exports` names it.
const ENTRIES = {
  "@herdctl/standin": "standin/src/index.ts",
  "@herdctl/core": "core/src/index.ts",
  "@herdctl/core/essentials": "core/src/essentials.ts",
  "@herdctl/core/internal": "core/src/internal.ts",
  "@herdctl/web": "web/src/server/index.ts",
};
const workspaceSources = {
  name: "workspace-sources",
  setup(build) {
    build.onResolve({ filter: /^@herdctl\// }, ({ path }) => {
      if (ENTRIES[path]) return { path: source(ENTRIES[path]) };
      // "@herdctl/core/internal/<module>", the `./internal/*` export: that module of core's src.
      const deep = /^@herdctl\/core\/internal\/(.+)$/.exec(path);
      if (deep) return { path: source(`core/src/${deep[1]}.ts`) };
      return {
        errors: [
          { text: `${path} is not an entry point of a workspace package (see scripts/bundle-cli.mjs)` },
        ],
      };
    });
  },
};

/**
 * zod's package root exports every locale's messages as `z.locales` (a third of the config chunk,
 * ~370 KB that every command reading the fleet file would compile). herdctl never reads
 * `z.locales`: zod's English messages, the only ones herdctl uses, come from locales/en.js, which
 * zod imports directly and this leaves in place.
 */
function withoutZodLocales() {
  return {
    name: "without-zod-locales",
    setup(build) {
      build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
        args.importer.includes("/node_modules/zod/")
          ? { path: "zod-locales", namespace: "empty" }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {};", loader: "js" }));
    },
  };
}

/**
 * commander requires node:child_process at load, for executable subcommands herdctl never uses;
 * loading it (with net, dgram and the rest it pulls in) cost `herdctl jobs` 10–60 ms of its
 * start-up under load. Here commander gets it on first use instead. A commander whose source no
 * longer has the line fails the build rather than quietly loading it again.
 */
function commanderSpawnOnDemand() {
  const eager = "const childProcess = require('node:child_process');";
  return {
    name: "commander-spawn-on-demand",
    setup(build) {
      build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, ({ path }) => {
        const text = readFileSync(path, "utf8");
        if (!text.includes(eager))
          return { errors: [{ text: `${path} no longer has \`${eager}\` (see scripts/bundle-cli.mjs)` }] };
        return {
          contents: text.replace(
            eager,
            "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
          ),
          loader: "js",
        };
      });
    },
  };
}

/**
 * core's cluster modules (leader-lock.ts, cluster-worker.ts) import pg's default export at their
 * top, and the state store imports them, so every command compiled pg (180 KB) and ran it with
 * what it pulls in (net, tls, crypto): ~75 ms of CPU for `herdctl jobs` on a SQLite fleet, which
 * never talks to PostgreSQL. Here `import pg from "pg"` and `import("pg")` get an object whose
 * properties (pg.Client, pg.Pool) load pg on first use, from pg.cjs, a bundle of pg alone beside
 * the module asking (PG_BUNDLE below), so only a fleet on PostgreSQL reads it. A named import from
 * pg finds no such export here and fails the build, rather than quietly loading pg at start again.
 */
const PG_BUNDLE = "pg.cjs";
function pgOnFirstUse() {
  return {
    name: "pg-on-first-use",
    setup(build) {
      build.onResolve({ filter: /^pg$/ }, ({ kind, namespace }) =>
        (kind === "import-statement" || kind === "dynamic-import") && namespace === "file"
          ? { path: "pg", namespace: "pg-on-first-use" }
          : undefined,
      );
      build.onResolve({ filter: /^\.\/pg\.cjs$/, namespace: "pg-on-first-use" }, ({ path }) => ({
        path,
        external: true,
      }));
      build.onLoad({ filter: /.*/, namespace: "pg-on-first-use" }, () => ({
        // esbuild's require helper uses the banner's `require` of the file it lands in, which may
        // be in dist/ or chunks/: pg.cjs has a copy in each (below).
        contents: `export default new Proxy({}, { get: (_, key) => require("./${PG_BUNDLE}")[key] });`,
        loader: "js",
      }));
    },
  };
}

/**
 * dockerode.cjs: dockerode requires its BuildKit session (gRPC and protobuf, for `buildImage` with
 * BuildKit) and docker-modem its SSH client (for ssh:// hosts) at the top of their files, ~140 ms
 * of loading before the first request of any Docker command. In this bundle each is a function
 * that requires its module on its first call, and those packages stay in node_modules. A file
 * that no longer has the line fails the build, rather than quietly loading them at start again.
 */
const DOCKERODE_BUNDLE = "dockerode.cjs";
function requiredOnUse(name, module) {
  return [`${name} = require('${module}'),`, `${name} = (...args) => require('${module}')(...args),`];
}

/**
 * docker-modem formats every request's options with util.inspect for its debug log before the
 * log decides whether it is on (it is only with DEBUG=modem): ~11 ms of CPU over a Docker
 * trigger's requests. Here the formatting happens only when that log is on.
 */
function inspectOnlyWhenDebugging() {
  const eager = "debug('Sending: %s', util.inspect(options, {";
  return [eager, `debug.enabled && ${eager}`];
}

/**
 * A dependency's file with lines replaced ([line, replacement] pairs). A file that no longer has
 * a line fails the build, rather than quietly running it as before.
 */
function patched(file, ...replacements) {
  return {
    name: `patched-${file.source}`,
    setup(build) {
      build.onLoad({ filter: file }, ({ path }) => {
        let text = readFileSync(path, "utf8");
        for (const [line, replacement] of replacements) {
          if (!text.includes(line))
            return { errors: [{ text: `${path} no longer has \`${line}\` (see scripts/bundle-cli.mjs)` }] };
          text = text.replace(line, replacement);
        }
        return { contents: text, loader: "js" };
      });
    },
  };
}

/** In frequent.cjs, core's runtime/agent-sdk.ts is src/agent-sdk-from-first-file.ts (see there). */
function agentSdkFromFirstFile() {
  return {
    name: "agent-sdk-from-first-file",
    setup(build) {
      build.onResolve({ filter: /^\.\/agent-sdk\.js$/ }, ({ importer }) =>
        dirname(importer) === source("core/src/runner/runtime")
          ? { path: join(cli, "src/agent-sdk-from-first-file.ts") }
          : undefined,
      );
    },
  };
}

/**
 * A file run from a code cache (src/code-cache.ts) through `vm.Script` cannot `import()` without
 * Node 20's experimental loader, which warns on stderr: one that still does fails the build.
 */
function withoutDynamicImport(file) {
  const found = /\bimport\((?:"[^"]*"|[^)]{0,60})\)/.exec(readFileSync(file, "utf8"));
  if (found)
    throw new Error(
      `bundle-cli: ${basename(file)} has \`${found[0]}\`, which cannot run from its code cache; load that module from herdctl.cjs (see agentSdkFromFirstFile)`,
    );
}

/** In query.cjs, the fleet's parser is src/parse-elsewhere.ts (see there). */
function parseElsewhere() {
  return {
    name: "parse-elsewhere",
    setup(build) {
      build.onResolve({ filter: /\/on-demand\/fleet-config\.js$/ }, () => ({
        path: join(cli, "src/parse-elsewhere.ts"),
      }));
    },
  };
}

/**
 * A hash of what the bundle is built from: core's and the CLI's sources and the locked
 * dependencies. The CLI's fleet cache (src/fleet-cache.ts, src/build-id.ts) is read only by the
 * build that wrote it, since another build may parse the same files into another fleet.
 */
function buildId() {
  const hash = createHash("sha256");
  const root = fileURLToPath(new URL("..", import.meta.url));
  const files = [join(root, "package-lock.json")];
  for (const dir of ["packages/core/src", "packages/cli/src"])
    for (const entry of readdirSync(join(root, dir), { recursive: true, withFileTypes: true }))
      if (entry.isFile()) files.push(join(entry.parentPath ?? entry.path, entry.name));
  for (const file of files.sort())
    hash
      .update(`${relative(root, file)}\0`)
      .update(readFileSync(file))
      .update("\0");
  return hash.digest("hex").slice(0, 16);
}

// Help for terminals narrower than this is left to commander (they are rare).
const MIN_HELP_WIDTH = 40;

rmSync(join(outdir, "chunks"), { recursive: true, force: true });
// The ES module build of the frequent commands, before frequent.cjs replaced it.
rmSync(join(outdir, "frequent-chunks"), { recursive: true, force: true });
rmSync(join(outdir, "frequent.js"), { force: true });
rmSync(join(outdir, "frequent.js.map"), { force: true });
const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: [
    "@anthropic-ai/claude-agent-sdk",
    "@anthropic-ai/claude-code",
    "dockerode",
    "discord.js",
    "@slack/bolt",
  ],
  // Bundled CommonJS packages (yaml, ws, commander) call require() for node built-ins.
  banner: {
    js: 'import { createRequire as __herdctlRequire } from "node:module";\nconst require = __herdctlRequire(import.meta.url);',
  },
  define: { __HERDCTL_BUILD__: JSON.stringify(buildId()) },
  plugins: [workspaceSources, withoutZodLocales(), commanderSpawnOnDemand()],
  logLevel: "warning",
};
/** The CLI: index.js and the chunks every dynamic import splits off. */
await build({
  ...common,
  outdir,
  splitting: true,
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "none",
  plugins: [...common.plugins, pgOnFirstUse()],
  entryPoints: { [entry]: join(cli, "src/index.ts") },
  chunkNames: "chunks/[name]-[hash]",
  metafile: process.env.HERDCTL_BUNDLE_META === "1",
}).then((result) => {
  if (result.metafile) console.log(JSON.stringify(result.metafile));
});

/**
 * A CommonJS file of the CLI beside index.js, minified: half the size, so less to read and a
 * smaller code cache to load (jobs: ~10 ms of CPU less, alternating 30 runs each). Stack traces
 * (-v) go through the source map. Not keepNames, which cost as much again: herdctl's errors name
 * themselves (`this.name = …`). What core's modules find beside their own file (better-sqlite3's
 * addon, the workers) they find beside this one.
 */
const commonJsFile = {
  ...common,
  format: "cjs",
  outdir,
  outExtension: { ".js": ".cjs" },
  minify: true,
  banner: { js: 'var __herdctlModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { ...common.define, "import.meta.url": "__herdctlModuleUrl" },
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "none",
};

/**
 * query.cjs (src/query.ts): `status`, `jobs` and `job` as one CommonJS file, which herdctl.cjs runs
 * compiled from its V8 code cache (src/code-cache.ts; written by writeCodeCache below): V8 takes
 * a code cache only for a script, not for an ES module. One file, so what the commands' dynamic
 * imports load (the state store, the control client) is in it too, each evaluated only when first
 * imported; not the fleet's parser (parseElsewhere above).
 */
const QUERY = "query.cjs";
await build({
  ...commonJsFile,
  entryPoints: { query: join(cli, "src/query.ts") },
  plugins: [...common.plugins, pgOnFirstUse(), parseElsewhere()],
});

/**
 * frequent.cjs (src/frequent.ts): `status`, `jobs`, `job` and `trigger` as commander's program of
 * their own, one CommonJS file that herdctl.cjs runs from its V8 code cache, as query.cjs. In the
 * ES module build these commands loaded about ten module files, and a trigger spent ~70 ms of CPU
 * resolving and compiling them (Node 20 keeps no compile cache for ES modules) while its claude
 * was starting on the same cores. What their dynamic imports load (the fleet's parser, the state
 * store, the job runner) is in the file, each evaluated only when first imported. The Agent SDK,
 * the one ES module left, is imported by herdctl.cjs (agentSdkFromFirstFile).
 */
const FREQUENT = "frequent.cjs";
await build({
  ...commonJsFile,
  entryPoints: { frequent: join(cli, "src/frequent.ts") },
  plugins: [...common.plugins, pgOnFirstUse(), agentSdkFromFirstFile()],
});
for (const file of [QUERY, FREQUENT]) withoutDynamicImport(join(outdir, file));

/**
 * herdctl.cjs (src/entry.ts), the file bin/herdctl.cjs starts: CommonJS, so that the commands it
 * answers never load Node's ES module loader. Small (the quick answers, the command word, the code
 * cache's loader), so it has no code cache of its own.
 */
await build({ ...commonJsFile, entryPoints: { herdctl: join(cli, "src/entry.ts") } });

/**
 * early.cjs (src/early-start.ts): what herdctl.cjs loads for a trigger to start its claude from the
 * launch cache before the ES module program loads. CommonJS and small (the command line, the
 * cache's checks, the spawn), so it costs less than the head start it gives.
 */
await build({ ...commonJsFile, entryPoints: { early: join(cli, "src/early-start.ts") } });
chmodSync(join(outdir, "herdctl.cjs"), 0o755);

/**
 * Worker threads are files of their own, which a module finds beside its own file
 * (core's util/worker-file.ts): the Postgres client's (state/pg/worker.ts, loaded only when the
 * fleet's state is on PostgreSQL) and the prune's; and so is the helper process that removes an
 * in-process trigger's container (docker/removal-helper.ts). A bundled module may sit in dist/ or
 * chunks/, so each gets a copy in both.
 */
const WORKERS = {
  worker: "core/src/state/pg/worker.ts",
  "prune-worker": "core/src/retention/prune-worker.ts",
  "remove-containers-main": "core/src/docker/remove-containers-main.ts",
};
await build({
  ...common,
  outdir: join(outdir, "chunks"),
  entryPoints: Object.fromEntries(Object.entries(WORKERS).map(([name, path]) => [name, source(path)])),
  legalComments: "none",
});
// pg alone (see pgOnFirstUse), as CommonJS, which the proxy's require() loads; beside the workers.
await build({
  ...common,
  format: "cjs",
  banner: {},
  stdin: { contents: 'module.exports = require("pg");', resolveDir: cli, loader: "js" },
  outfile: join(outdir, "chunks", PG_BUNDLE),
  legalComments: "none",
});
// dockerode alone, as CommonJS, which core's docker/engine.ts loads from beside its module; beside the workers.
await build({
  ...common,
  format: "cjs",
  banner: {},
  minify: true,
  stdin: { contents: 'module.exports = require("dockerode");', resolveDir: cli, loader: "js" },
  outfile: join(outdir, "chunks", DOCKERODE_BUNDLE),
  external: ["@grpc/grpc-js", "@grpc/proto-loader", "protobufjs", "ssh2"],
  plugins: [
    patched(/dockerode[\\/]lib[\\/]docker\.js$/, requiredOnUse("withSession", "./session")),
    patched(/docker-modem[\\/]lib[\\/]modem\.js$/, requiredOnUse("ssh", "./ssh"), inspectOnlyWhenDebugging()),
  ],
  legalComments: "none",
});
for (const name of [...Object.keys(WORKERS).map((name) => `${name}.js`), PG_BUNDLE, DOCKERODE_BUNDLE])
  copyFileSync(join(outdir, "chunks", name), join(outdir, name));
await writeBuiltHelp();
await writeCodeCache();

const client = source("web/dist/client");
if (!existsSync(join(client, "index.html")))
  throw new Error(
    `bundle-cli: ${client} has no index.html; run \`npm run build:client -w @herdctl/web\` first`,
  );
rmSync(join(outdir, "client"), { recursive: true, force: true });
cpSync(client, join(outdir, "client"), { recursive: true });

/**
 * dist/help/, which `herdctl --help` prints without loading the program (quick-answers.ts):
 * commander's own text for the program as built, one file per terminal width that wraps it
 * differently (`<columns>.txt`, from MIN_HELP_WIDTH), and `wide.txt` for every width at which
 * nothing wraps.
 */
async function writeBuiltHelp() {
  const probe = await build({
    ...common,
    stdin: {
      contents: `
        import { buildProgram } from "./src/program.ts";
        export function helpAt(width) {
          const program = buildProgram();
          program.configureOutput({ getOutHelpWidth: () => width, getOutHasColors: () => false });
          return program.helpInformation();
        }`,
      resolveDir: cli,
      loader: "ts",
    },
    write: false,
  });
  // Beside the bundle, so that its packages resolve from the same node_modules.
  const probeFile = join(outdir, ".help-probe.mjs");
  writeFileSync(probeFile, probe.outputFiles[0].text);
  try {
    const { helpAt } = await import(pathToFileURL(probeFile).href);
    const dir = join(outdir, "help");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const wide = helpAt(10_000);
    writeFileSync(join(dir, "wide.txt"), wide);
    const unwrappedFrom = Math.max(...wide.split("\n").map((line) => line.length));
    // quick-answers.ts prints wide.txt for any width without its own file.
    if (helpAt(unwrappedFrom) !== wide) throw new Error(`help at ${unwrappedFrom} columns still wraps`);
    for (let width = MIN_HELP_WIDTH; width < unwrappedFrom; width++) {
      writeFileSync(join(dir, `${width}.txt`), helpAt(width));
    }
  } finally {
    rmSync(probeFile, { force: true });
  }
}

/**
 * The V8 code caches of query.cjs and frequent.cjs (src/code-cache.ts): each file's code after it
 * has run its commands once, in a process of its own, so that the cache holds what those commands
 * compile. query.cjs answers `jobs`, `job` and `status` for a scratch fleet of one agent and no
 * jobs, after the whole CLI has made the fleet's `status` facts (so the fleet's parse, zod and
 * YAML, is not among its code). frequent.cjs runs two in-process triggers of a CLI agent and two
 * of an SDK agent (the first writes the launch cache the second starts its claude from), with
 * the real claude against the project's stand-in on 127.0.0.1, after a process of its own has
 * written the fleet cache (so the parse, which a trigger runs only after an edit, is left out).
 */
async function writeCodeCache() {
  const probe = await build({
    ...common,
    stdin: {
      contents: `
        import { writeFileSync } from "node:fs";
        import { startStandin, textReply } from "@herdctl/standin";
        import { registerAgentSdkImport } from "./src/agent-sdk-from-first-file.ts";
        import { cacheFileOf, requireCompiled } from "./src/code-cache.ts";
        const [file, run, write, ...commands] = process.argv.slice(2);
        const standin = run === "runFrequent" ? await startStandin({ responder: () => textReply("hi") }) : undefined;
        if (standin) process.env.ANTHROPIC_BASE_URL = standin.url;
        registerAgentSdkImport(() => import("@anthropic-ai/claude-agent-sdk"));
        const { exports, script } = requireCompiled(file, "/nonexistent");
        for (const command of commands) {
          const { args, code } = JSON.parse(command);
          const answered = await exports[run]([process.argv[0], file, ...args]);
          if (answered === false || (process.exitCode ?? 0) !== code)
            throw new Error(file + " did not run " + command + " while its code cache was made");
          process.exitCode = 0;
        }
        if (write === "write") writeFileSync(cacheFileOf(file), script.createCachedData());
        await standin?.close();`,
      resolveDir: cli,
      loader: "ts",
    },
    write: false,
  });
  const probeFile = join(outdir, ".code-cache-probe.mjs");
  writeFileSync(probeFile, probe.outputFiles[0].text);
  const fleet = mkdtempSync(join(tmpdir(), "herdctl-code-cache-"));
  try {
    writeFileSync(
      join(fleet, "herdctl.yaml"),
      "version: 1\nfleet: { name: cache }\nagents:\n  - path: ./a.yaml\n  - path: ./s.yaml\n",
    );
    writeFileSync(join(fleet, "a.yaml"), "name: a\nworking_directory: .\n");
    writeFileSync(join(fleet, "s.yaml"), "name: s\nworking_directory: .\nruntime: sdk\n");
    // Files written just now are not kept facts of (src/config-stamp-write.ts): an hour old.
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const file of ["herdctl.yaml", "a.yaml", "s.yaml"]) utimesSync(join(fleet, file), hourAgo, hourAgo);
    // claude against the stand-in (the probe sets its address), with a key it accepts and a
    // config folder of its own, whatever this machine's environment holds.
    const env = {
      ...process.env,
      ANTHROPIC_API_KEY: "sk-ant-code-cache-probe",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      CLAUDE_CONFIG_DIR: join(fleet, "claude-config"),
    };
    delete env.ANTHROPIC_AUTH_TOKEN;
    delete env.CLAUDE_CODE_OAUTH_TOKEN;
    const run = (file, exported, write, ...commands) => {
      rmSync(cacheFileOf(file), { force: true });
      try {
        execFileSync(
          process.execPath,
          [probeFile, join(outdir, file), exported, write, ...commands.map((c) => JSON.stringify(c))],
          { cwd: fleet, env, stdio: ["ignore", "ignore", "pipe"] },
        );
      } catch (error) {
        throw new Error(
          `bundle-cli: making ${file}'s code cache failed (it runs the CLI's commands, and for frequent.cjs real triggers of claude against the project's stand-in on 127.0.0.1; check that \`npx claude --version\` works after \`npm ci\`):\n${error.stderr ?? error.message}`,
        );
      }
    };
    // The whole CLI parses the fleet and keeps the facts `status` answers from (query.cjs has no
    // parser: src/parse-elsewhere.ts).
    execFileSync(process.execPath, [join(outdir, `${entry}.js`), "status"], {
      cwd: fleet,
      env,
      stdio: "ignore",
    });
    run(
      QUERY,
      "runQuery",
      "write",
      { args: ["jobs"], code: 0 },
      { args: ["jobs", "--json"], code: 0 },
      // The fleet has no jobs: `job` answers "not found".
      { args: ["job", "job-20250101120000-ab12cd"], code: 1 },
      { args: ["status"], code: 0 },
      { args: ["status", "a"], code: 0 },
    );
    const trigger = (agent) => ({ args: ["trigger", agent, "-p", "hi", "--wait", "--fresh"], code: 0 });
    // The fleet cache written first, by a process of its own, so that the cache's triggers take it
    // as a trigger after the first does: the parse's code (zod, YAML, the schemas), run only after
    // an edit, is left out of the cache, which every run of frequent.cjs reads whole.
    run(FREQUENT, "runFrequent", "no", trigger("a"), trigger("s"));
    run(FREQUENT, "runFrequent", "write", trigger("a"), trigger("a"), trigger("s"), trigger("s"));
  } finally {
    rmSync(fleet, { recursive: true, force: true });
    rmSync(probeFile, { force: true });
  }
}

function cacheFileOf(file) {
  return join(outdir, `${file}.v8cache`);
}
