import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir, writeFleet } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-prune-"));
  await writeFleet(dir);
});
afterAll(() => remove());

describe("herdctl prune (no daemon)", () => {
  it("asks for limits, dry-runs, keeps the newest per agent, records itself, and status shows the state's size", async () => {
    for (const prompt of ["one", "two", "three"]) {
      const run = await herdctl(["trigger", "greeter", "-q", "--offline", "-p", prompt], { cwd: dir });
      expect(run.code, run.stderr).toBe(0);
    }
    const none = await herdctl(["prune"], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("nothing to prune by: set state.retention in herdctl.yaml");

    const dry = await herdctl(["prune", "--keep", "1", "--dry-run"], { cwd: dir });
    expect(dry.stdout).toMatch(
      /^would remove 2 job records with their output and 0 more output files \(\d+\.\d KB of output\)\n$/,
    );
    expect(json<{ jobs: unknown[] }>(await herdctl(["--json", "jobs"], { cwd: dir })).jobs).toHaveLength(3);

    const real = json<{ records: number; freedBytes: number }>(
      await herdctl(["--json", "prune", "--keep", "1"], { cwd: dir }),
    );
    expect(real.records).toBe(2);
    expect(real.freedBytes).toBeGreaterThan(0);
    const { jobs } = json<{ jobs: Array<{ prompt: string }> }>(
      await herdctl(["--json", "jobs"], { cwd: dir }),
    );
    expect(jobs.map((j) => j.prompt)).toEqual(["three"]);
    const { entries } = json<{ entries: Array<{ action: string }> }>(
      await herdctl(["--json", "audit"], { cwd: dir }),
    );
    expect(entries[0]!.action).toBe("state.prune");
    expect((await herdctl(["status"], { cwd: dir })).stdout).toMatch(
      /state\s+\d+\.\d KB database, 1 job records \(herdctl prune\)/,
    );
    const bad = await herdctl(["prune", "--older-than", "soon"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than "soon"');
  });
});
