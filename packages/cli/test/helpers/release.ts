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
  /** `npm install --offline --dry-run` of the tarballs in the release folder, beside its lock, before priming. */
  locked: NpmRun;
  /** `npm install --offline --dry-run` of the tarballs in a folder with no lock, before priming. */
  unprimed: NpmRun;
  /** `node prime-cache.mjs <release> --cache <scratch cache>`, the release's own copy. */
  prime: NpmRun;
  /**
   * `npm install --offline ./herdctl-*.tgz` in `<scratch>/project`, which holds only the tarballs;
   * with `localLockOnly`, `--package-lock-only` (resolves and writes the lock, unpacks nothing).
   */
  local: NpmRun;
  /** `npm install -g --offline ./herdctl-0.1.0.tgz` into `<scratch>/global`, from the project folder. */
  global: NpmRun;
  /** The paths better-sqlite3's installer asked the binary mirror for. */
  requests: string[];
}

/**
 * The release installed as docs/operating.md says, with no network: helpers/install-offline.mjs
 * under `unshare --net` (the dry runs before priming, prime-cache.mjs, then the tarballs in a
 * folder of their own and globally). `localLockOnly`: the first of those two only resolves and writes
 * its lock (install-offline.mjs says why).
 */
export async function installOffline(
  release: string,
  scratch: string,
  options: { localLockOnly?: boolean } = {},
): Promise<OfflineInstall> {
  const helper = fileURLToPath(new URL("./install-offline.mjs", import.meta.url));
  const flags = options.localLockOnly ? ["--local-lock-only"] : [];
  try {
    const { stdout } = await run(
      "unshare",
      ["--net", "--", process.execPath, helper, release, scratch, ...flags],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return JSON.parse(stdout);
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(
      `the offline install could not run (it needs root, util-linux's unshare and iproute2's ip for a network namespace): ${stderr || message}`,
    );
  }
}
