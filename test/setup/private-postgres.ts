import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { isAlive } from "./process-alive.js";

/**
 * A PostgreSQL server of one test file's own, for tests that stop or restart the server itself:
 * the shared one on 127.0.0.1:5432 (postgres.ts) serves every other file running alongside, so it
 * is never restarted. `initdb` into a temporary folder, listening on 127.0.0.1 on a free port and
 * on a unix socket inside that folder, driven with `pg_ctl`; the folder is removed after the file.
 *
 * initdb and postgres refuse to run as root, and the tests run as root here: then every server
 * command runs as the `postgres` OS user through `runuser` (argv arrays, no shell). The binaries are
 * the newest under /usr/lib/postgresql (scripts/setup-machine.sh installs them), or those in
 * HERDCTL_TEST_PG_BIN.
 */
const PREFIX = "herdctl-pgsrv-";
const PG_USER = "postgres";

export interface PrivatePostgres {
  /** postgres:// URL of the test role's database on this server (valid inside the file's tests). */
  readonly url: string;
  /** `pg_ctl restart -m fast`: connections are ended, the server is back when this resolves. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`: the server is down when this resolves. */
  stop(): Promise<void>;
  /** `pg_ctl start` on the same port and data, back when this resolves. */
  start(): Promise<void>;
}

async function binDir(): Promise<string> {
  const given = process.env.HERDCTL_TEST_PG_BIN;
  if (given) return given;
  const base = "/usr/lib/postgresql";
  const versions = await readdir(base).catch(() => [] as string[]);
  const newest = versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))[0];
  if (!newest)
    throw new Error(
      `no PostgreSQL server binaries under ${base}: run \`bash scripts/setup-machine.sh\` (as root), or set HERDCTL_TEST_PG_BIN to the folder holding initdb and pg_ctl`,
    );
  return join(base, newest, "bin");
}

/** uid and gid of `name` from /etc/passwd. */
async function osUser(name: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile("/etc/passwd", "utf8");
  const line = passwd.split("\n").find((l) => l.startsWith(`${name}:`));
  if (!line)
    throw new Error(
      `the tests run as root and initdb refuses root, but there is no "${name}" OS user to run the server as: install PostgreSQL with scripts/setup-machine.sh`,
    );
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

const asRoot = () => process.getuid?.() === 0;

/** Runs a server binary (as the postgres user when we are root); rejects with its output on failure. */
function run(bin: string, args: string[]): Promise<string> {
  const [cmd, argv] = asRoot() ? ["runuser", ["-u", PG_USER, "--", bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${bin} ${args.join(" ")} exited ${code}:\n${out}`));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A free port below the kernel's ephemeral range (32768 up): while the server is stopped, an
 * outgoing connection could otherwise take its port and the restart would fail to bind.
 */
async function freeFixedPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portFree(port)) return port;
  }
  throw new Error("no free port between 20000 and 32000 on 127.0.0.1 for the private PostgreSQL server");
}

/** Servers this fixture started in test processes that are gone (a killed run) are stopped and removed. */
async function removeOrphans(pgCtl: string): Promise<void> {
  for (const entry of await readdir(tmpdir()).catch(() => [] as string[])) {
    if (!entry.startsWith(PREFIX)) continue;
    const pid = Number(entry.slice(PREFIX.length).split("-")[0]);
    if (!Number.isInteger(pid) || isAlive(pid)) continue;
    const folder = join(tmpdir(), entry);
    await run(pgCtl, ["stop", "-D", join(folder, "data"), "-m", "immediate", "-w"]).catch(() => {});
    await rm(folder, { recursive: true, force: true });
  }
}

/** Registers hooks giving the calling test file a PostgreSQL server of its own; call at top level. */
export function privatePostgres(): PrivatePostgres {
  let folder: string | undefined;
  let url: string | undefined;
  let pgCtl = "";
  let data = "";
  let logFile = "";

  const ctl = (args: string[]) => run(pgCtl, [...args, "-D", data, "-l", logFile, "-w", "-t", "120"]);

  beforeAll(async () => {
    const bin = await binDir();
    pgCtl = join(bin, "pg_ctl");
    await removeOrphans(pgCtl);
    folder = await mkdtemp(join(tmpdir(), `${PREFIX}${process.pid}-`));
    data = join(folder, "data");
    logFile = join(folder, "server.log");
    if (asRoot()) {
      const { uid, gid } = await osUser(PG_USER);
      await chown(folder, uid, gid);
    }
    await chmod(folder, 0o700);
    // Over TCP only the password of the role made below is accepted; the unix socket, in this
    // 0700 folder, lets the server's own user in to make it.
    await run(join(bin, "initdb"), [
      "-D",
      data,
      "-U",
      PG_USER,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--no-sync",
      "-E",
      "UTF8",
      "--locale=C",
    ]);
    const port = await freeFixedPort();
    await writeFile(
      join(data, "postgresql.auto.conf"),
      [
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${folder}'`,
        // A throwaway cluster: durability is not what is tested.
        "fsync = off",
        "max_connections = 100",
        "",
      ].join("\n"),
    );
    await ctl(["start"]);
    const role = "herdctl_private";
    const password = randomBytes(12).toString("hex");
    const su = new pg.Client({ host: folder, port, user: PG_USER, database: "postgres" });
    await su.connect();
    try {
      await su.query(`create role ${role} login password '${password}'`);
      await su.query(`create database ${role} owner ${role}`);
    } finally {
      await su.end();
    }
    url = `postgres://${role}:${password}@127.0.0.1:${port}/${role}`;
  });

  afterAll(async () => {
    if (folder === undefined) return;
    const gone = folder;
    folder = undefined;
    url = undefined;
    await run(pgCtl, ["stop", "-D", data, "-m", "immediate", "-w"]).catch(() => {});
    await rm(gone, { recursive: true, force: true });
  });

  return {
    get url() {
      if (url === undefined)
        throw new Error("privatePostgres(): the server runs only inside the file's tests");
      return url;
    },
    restart: async () => void (await ctl(["restart", "-m", "fast"])),
    stop: async () => void (await run(pgCtl, ["stop", "-D", data, "-m", "fast", "-w", "-t", "120"])),
    start: async () => void (await ctl(["start"])),
  };
}
