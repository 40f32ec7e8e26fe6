import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir, writeFleet } from "../helpers/cli.js";

// Without a daemon the CLI makes the same edit on the file, and clears what the daemon would
// otherwise restore from its state at the next start.
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-schedules-offline-"));
  await writeFleet(dir);
});
afterAll(() => remove());

describe("herdctl schedules without a daemon", () => {
  it("edits the agent file, drops the state's override and row, and refuses a schedule from defaults", async () => {
    const file = join(dir, "agents", "scribe.yaml");
    const original = await readFile(file, "utf8");
    const add = await herdctl(["--json", "schedules", "add", "scribe", "daily", "--cron", "0 7 * * *"], {
      cwd: dir,
    });
    expect(json(add)).toEqual({
      action: "added",
      file: "agents/scribe.yaml",
      written: true,
      schedule: null,
      applied: false,
    });
    expect(await readFile(file, "utf8")).toBe(
      `${original}schedules: { daily: { type: cron, cron: 0 7 * * * } }\n`,
    );

    // A runtime override from an earlier dashboard toggle, as the daemon would have stored it.
    const state = new StateManager(join(dir, ".herdctl"));
    state.open();
    state.schedules.upsert("scribe", "daily", { enabledOverride: true });
    state.close();

    const off = await herdctl(["schedules", "disable", "scribe", "daily"], { cwd: dir });
    expect(off.stdout).toBe(
      "disabled schedule daily of scribe (agents/scribe.yaml)\nno daemon is running: the change takes effect at the next herdctl start\n",
    );
    const check = new StateManager(join(dir, ".herdctl"));
    check.open();
    expect(check.schedules.get("scribe", "daily")?.enabledOverride).toBeNull();
    check.close();
    const listed = json<{ schedules: Array<{ name: string; enabled: boolean }> }>(
      await herdctl(["--json", "schedules", "scribe"], { cwd: dir }),
    );
    expect(listed.schedules).toEqual([expect.objectContaining({ name: "daily", enabled: false })]);

    expect((await herdctl(["schedules", "rm", "scribe", "daily"], { cwd: dir })).code).toBe(0);
    expect(await readFile(file, "utf8")).toBe(`${original}schedules: {}\n`);
    const after = new StateManager(join(dir, ".herdctl"));
    after.open();
    expect(after.schedules.get("scribe", "daily")).toBeUndefined();
    after.close();

    const fleetFile = join(dir, "herdctl.yaml");
    await writeFile(
      fleetFile,
      (await readFile(fleetFile, "utf8")).replace(
        "  runtime: cli\n",
        "  runtime: cli\n  schedules:\n    shared: { type: interval, interval: 1h }\n",
      ),
    );
    const refused = await herdctl(["schedules", "disable", "greeter", "shared"], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "herdctl: schedule shared of agent greeter is set in herdctl.yaml:9:13 (defaults.schedules.shared), not only in its agent file agents/greeter.yaml; herdctl edits agent files only, so change it there by hand\n",
    );
  });
});
