/**
 * The release as users install it with no internet (docs/operating.md), timed: `scripts/pack.mjs`;
 * then, with its `prebuilds/` served on 127.0.0.1 as better-sqlite3's binary mirror, in a network
 * namespace with only loopback (the packaged test's packages/cli/test/helpers/install-offline.mjs,
 * under `unshare --net`): `node prime-cache.mjs`, `npm install --offline ./herdctl-*.tgz` in a
 * folder holding only the tarballs, against its floor: the same lock laid out by hard links from
 * the clone's installed packages (scripts/release/lay-out.mjs: no unpacking, no install scripts);
 * then `npm install -g --offline ./herdctl-0.1.0.tgz`, and `herdctl --version` from the global bin
 * (the daemon image is bench/daemon-image.ts).
 * One run each: the installs take minutes. Not part of `npm run bench` (run it alone).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
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

interface NpmRun {
  status: number | null;
  ms: number;
  stderr: string;
}

try {
  const release = join(tmp, "release");
  const pack = await timed(() => quiet(process.execPath, [join(ROOT, "scripts/pack.mjs"), release], ROOT));
  figure(
    "scripts/pack.mjs, four tarballs, the lock and the prebuilt binary",
    undefined,
    seconds(pack),
    undefined,
    "reported",
    true,
  );

  const floor = await timed(() => layOut(ROOT, release, join(tmp, "laid-out")));
  const scratch = join(tmp, "scratch");
  mkdirSync(scratch);
  const helper = join(ROOT, "packages/cli/test/helpers/install-offline.mjs");
  const { prime, local, global } = JSON.parse(
    quiet("unshare", ["--net", "--", process.execPath, helper, release, scratch]),
  ) as { prime: NpmRun; local: NpmRun; global: NpmRun };
  if (prime.status !== 0) throw new Error(`node prime-cache.mjs failed:\n${prime.stderr}`);
  figure(
    "node prime-cache.mjs: registry metadata of the locked versions into npm's cache",
    undefined,
    seconds(prime.ms),
    undefined,
    "reported",
    true,
  );
  if (local.status !== 0) throw new Error(`npm install --offline ./herdctl-*.tgz failed:\n${local.stderr}`);
  figure(
    "npm install --offline ./herdctl-*.tgz in a folder of their own (binary from the mirror)",
    `hard-link layout ${seconds(floor)}`,
    seconds(local.ms),
    local.ms / floor,
    "reported",
    true,
  );

  const version = quiet(join(scratch, "global", "bin", "herdctl"), ["--version"]).split("\n")[0];
  figure(
    `npm install -g --offline ./herdctl-0.1.0.tgz (${version})`,
    undefined,
    seconds(global.ms),
    undefined,
    "reported",
    global.status === 0 && version === "herdctl 0.1.0",
  );
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
finish();
