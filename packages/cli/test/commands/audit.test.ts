import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir, writeFleet } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";

interface Entry {
  seq: number;
  action: string;
  via: string;
  who: string;
  target: string | null;
}

let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-audit-"));
  await writeFleet(dir);
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await remove();
});

const entries = async () =>
  json<{ entries: Entry[] }>(await herdctl(["--json", "audit"], { cwd: dir })).entries;

describe("herdctl audit", () => {
  it("lists who triggered, in this process and through the daemon, and verify names an edited entry", async () => {
    const user = `${(await import("node:os")).userInfo().username} (uid ${process.getuid!()})`;
    const local = await herdctl(["trigger", "greeter", "-q", "--offline", "-p", "hi"], { cwd: dir });
    expect(local.code, local.stderr).toBe(0);
    const [first] = await entries();
    expect(first).toMatchObject({ seq: 1, action: "job.trigger", via: "cli", who: user });

    daemon = await startDaemon(dir);
    const remote = await herdctl(["trigger", "scribe", "-q", "-p", "hi"], { cwd: dir });
    expect(remote.code, remote.stderr).toBe(0);
    const listed = await entries();
    expect(listed.map((e) => `${e.action} ${e.via}:${e.who}`)).toEqual([
      `job.trigger cli:${user}`,
      `fleet.start cli:${user}`,
      `job.trigger cli:${user}`,
    ]);
    const table = await herdctl(["audit", "--limit", "2"], { cwd: dir });
    expect(table.stdout).toMatch(
      /^#\s+WHEN\s+ACTION\s+BY\s+TARGET\s+DETAIL\n3\s+.*job\.trigger\s+cli: .*agent=scribe trigger=manual\n2\s+.*fleet\.start/,
    );
    expect(await herdctl(["audit", "verify"], { cwd: dir })).toMatchObject({
      code: 0,
      stdout: "audit trail intact: 3 entries, each linked to the one before\n",
    });
    await stopDaemon(daemon);
    daemon = undefined;

    // Someone with the database file rewrites who did it: verify (no daemon) names the entry.
    const db = new Database(join(dir, ".herdctl", "herdctl.db"));
    db.exec("DROP TRIGGER audit_no_update; UPDATE audit SET who = 'somebody else' WHERE seq = 2;");
    db.close();
    const broken = await herdctl(["audit", "verify"], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(
      /^herdctl: audit trail broken: audit entry 2 \(.*fleet\.start by cli somebody else\) was changed after it was written/,
    );
    const asJson = await herdctl(["--json", "audit", "verify"], { cwd: dir });
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      ok: false,
      checked: 2,
      break: { seq: 2, problem: "changed" },
    });
    expect((await herdctl(["audit", "--since", "soon"], { cwd: dir })).code).toBe(2);
  });
});
