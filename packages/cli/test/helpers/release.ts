import { execFile } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** `node scripts/pack.mjs <dir>`: the four tarballs, package.json, package-lock.json and prebuilds/ in `dir`. */
export async function packRelease(dir: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [join(ROOT, "scripts", "pack.mjs"), dir], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim().split("\n");
}

export interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  optional?: boolean;
}

export interface NpmRun {
  args: string[];
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface OfflineInstall {
  /** The release's tarballs as `./herdctl-*.tgz` expands in its folder. */
  tarballs: string[];
  /** `npm install --offline --dry-run` of the tarballs into an empty folder (no lock). */
  empty: NpmRun;
  /** `npm install -g --offline --dry-run` of herdctl's tarball. */
  globalTarball: NpmRun;
  /** `npm install --offline ./herdctl-*.tgz` in the release folder, beside its lock. */
  local: NpmRun;
  /** `npm install -g` of the installed herdctl into `<scratch>/global`; not run when `local` failed. */
  global?: NpmRun;
  /** The paths better-sqlite3's installer asked the binary mirror for. */
  requests: string[];
}

/**
 * `npm install --offline ./herdctl-*.tgz` in a release folder, then `npm install -g --offline` of
 * its installed herdctl into `<scratch>/global`, with no network (and first, as dry runs, the
 * tarballs with no lock): helpers/install-offline.mjs under `unshare --net`.
 */
export async function installOffline(release: string, scratch: string): Promise<OfflineInstall> {
  const helper = fileURLToPath(new URL("./install-offline.mjs", import.meta.url));
  try {
    const { stdout } = await run("unshare", ["--net", "--", process.execPath, helper, release, scratch], {
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(stdout);
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(
      `the offline install could not run (it needs root, util-linux's unshare and iproute2's ip for a network namespace): ${stderr || message}`,
    );
  }
}
