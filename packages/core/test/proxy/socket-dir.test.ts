import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CredentialProxy, PROXY_SOCKET_NAME } from "../../src/proxy/credential-proxy.js";
import { claimSocketDir } from "../../src/proxy/socket-dir.js";
import { tempDir } from "../helpers/fleet.js";

/**
 * The proxy's socket directory: stable per state directory so persistent containers reach the
 * proxy of the next run, and never one another local user could have planted. TMPDIR points into
 * a scratch folder, so these tests own the per-user parent they inspect.
 */
let tmp: ReturnType<typeof tempDir>;
let savedTmp: string | undefined;
const uid = process.getuid?.() ?? 0;
const parent = () => join(tmp.dir, `herdctl-proxy-${uid}`);

beforeEach(() => {
  tmp = tempDir();
  savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp.dir;
});
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  tmp.cleanup();
});

describe("the credential proxy's socket directory", () => {
  it("is the same for one state directory across restarts, and keeps the directory on close", async () => {
    const first = new CredentialProxy({ socketKey: "/srv/fleet/.herdctl" });
    await first.start();
    const dir = first.socketDir;
    expect(dir.startsWith(`${parent()}/`)).toBe(true);
    expect(lstatSync(parent()).mode & 0o777).toBe(0o700);
    expect(lstatSync(dir).mode & 0o777).toBe(0o755);
    await first.close();
    // The directory stays (a container's mount points at it); the socket goes.
    expect(existsSync(dir)).toBe(true);
    expect(existsSync(join(dir, PROXY_SOCKET_NAME))).toBe(false);

    const second = new CredentialProxy({ socketKey: "/srv/fleet/.herdctl" });
    await second.start();
    expect(second.socketDir).toBe(dir);
    expect(existsSync(join(dir, PROXY_SOCKET_NAME))).toBe(true);
    const other = new CredentialProxy({ socketKey: "/srv/other/.herdctl" });
    await other.start();
    expect(other.socketDir).not.toBe(dir);
    await Promise.all([second.close(), other.close()]);
  });

  it("replaces a socket nobody answers on, and leaves a live one to its process", async () => {
    const stale = await claimSocketDir("key", PROXY_SOCKET_NAME);
    writeFileSync(join(stale.dir, PROXY_SOCKET_NAME), "");
    expect(await claimSocketDir("key", PROXY_SOCKET_NAME)).toEqual(stale);
    expect(existsSync(join(stale.dir, PROXY_SOCKET_NAME))).toBe(false);

    const live: Server = createServer();
    await new Promise<void>((resolve) => live.listen(join(stale.dir, PROXY_SOCKET_NAME), resolve));
    try {
      const beside = await claimSocketDir("key", PROXY_SOCKET_NAME);
      expect(beside.stable).toBe(false);
      expect(beside.dir).not.toBe(stale.dir);
      expect(existsSync(join(stale.dir, PROXY_SOCKET_NAME))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => live.close(() => resolve()));
    }
  });

  it("falls back to a private directory when the per-user parent is open to others or a symlink", async () => {
    mkdirSync(parent(), { mode: 0o700 });
    chmodSync(parent(), 0o777);
    const open = await claimSocketDir("key", PROXY_SOCKET_NAME);
    expect(open.stable).toBe(false);
    // With the separator: the fallback's own name also starts "herdctl-proxy-", and its random
    // part may begin with the uid's digits.
    expect(open.dir.startsWith(`${parent()}/`)).toBe(false);

    chmodSync(parent(), 0o700);
    const elsewhere = join(tmp.dir, "planted");
    mkdirSync(elsewhere);
    // A parent that is really a link to somewhere else is not trusted either, nor written into.
    renameSync(parent(), `${parent()}-moved`);
    symlinkSync(elsewhere, parent());
    const linked = await claimSocketDir("key", PROXY_SOCKET_NAME);
    expect(linked.stable).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
