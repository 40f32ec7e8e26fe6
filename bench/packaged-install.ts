/**
 * The release as users install it, timed: `scripts/pack.mjs`, then `npm ci --offline` of the
 * release folder (npm's cache only; better-sqlite3 compiled by node-gyp, as `npm ci` did for the
 * clone) against its floor, the same lock laid out by hard links from the clone's installed
 * packages (scripts/release/lay-out.mjs: no unpacking, no native build); then the global install
 * of the installed herdctl (`npm install -g --offline <folder>`), and `herdctl --version` from the
 * global bin (the daemon image is bench/daemon-image.ts).
 * One run each: the install alone takes minutes. Not part of `npm run bench` (run it alone).
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { layOut } from "../scripts/release/lay-out.mjs";
import { figure, finish, fmt } from "./lib/report.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "herdctl-bench-packaged-"));
const seconds = (ms: number) => fmt(ms / 1000, "s");

async function timed(work: () => unknown): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}
const quiet = (command: string, args: string[], cwd = tmp) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

try {
  const release = join(tmp, "release");
  const pack = await timed(() => quiet(process.execPath, [join(ROOT, "scripts/pack.mjs"), release], ROOT));
  figure(
    "scripts/pack.mjs, four tarballs and the lock",
    undefined,
    seconds(pack),
    undefined,
    "reported",
    true,
  );

  const floor = await timed(() => layOut(ROOT, release, join(tmp, "laid-out")));
  const installed = join(tmp, "installed");
  cpSync(release, installed, { recursive: true });
  const ci = await timed(() => quiet("npm", ["ci", "--offline", "--no-audit", "--no-fund"], installed));
  figure(
    "npm ci --offline of the release",
    `hard-link layout ${seconds(floor)}`,
    seconds(ci),
    ci / floor,
    "reported",
    true,
  );

  const prefix = join(tmp, "global");
  const global = await timed(() =>
    quiet("npm", [
      "install",
      "-g",
      "--offline",
      "--prefix",
      prefix,
      join(installed, "node_modules", "herdctl"),
    ]),
  );
  const version = quiet(join(prefix, "bin", "herdctl"), ["--version"]).split("\n")[0];
  figure(
    `npm install -g --offline of the installed herdctl (${version})`,
    undefined,
    seconds(global),
    undefined,
    "reported",
    version === "herdctl 0.1.0",
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
finish();
