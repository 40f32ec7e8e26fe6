/**
 * `npm run build`: type-checks and compiles the workspaces (tsc -b) while, beside it, vite builds
 * the dashboard's client and esbuild bundles the CLI. Neither of those reads what tsc writes: the
 * client imports only types from @herdctl/core, and the bundle is made from the TypeScript
 * sources (scripts/bundle-cli.mjs). tsc runs on one core; side by side, the client and the
 * bundle take the other instead of adding their time after it.
 *
 *   node scripts/build.mjs
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Runs one command in the repository root; resolves to its exit code. */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: "inherit" });
    child.on("error", (err) => {
      process.stderr.write(`build: could not start ${command}: ${err.message}\n`);
      resolve(1);
    });
    child.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Runs the steps one after another, stopping at the first that fails; resolves to its name. */
async function inOrder(steps) {
  for (const [name, command, args] of steps) {
    if ((await run(command, args)) !== 0) return name;
  }
  return undefined;
}

const failed = await Promise.all([
  inOrder([
    [
      "tsc -b",
      process.execPath,
      [tsc, "-b", "packages/standin", "packages/core", "packages/web", "packages/cli"],
    ],
  ]),
  inOrder([
    ["the dashboard client (vite build)", npm, ["run", "build:client", "-w", "@herdctl/web"]],
    ["the CLI bundle (scripts/bundle-cli.mjs)", process.execPath, ["scripts/bundle-cli.mjs"]],
  ]),
]);
const failures = failed.filter((name) => name !== undefined);
if (failures.length > 0) {
  process.stderr.write(`build: ${failures.join(" and ")} failed; see the errors above\n`);
  process.exit(1);
}
