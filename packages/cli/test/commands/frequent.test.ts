import { beforeAll, describe, expect, it } from "vitest";
import { commandWord, FREQUENT_COMMANDS } from "../../src/command-word.js";
import { assertBuilt, herdctl } from "../helpers/cli.js";

// status, jobs, job and trigger run from a bundle of their own (src/frequent.ts; status, jobs and
// job from query.cjs first, which leaves help and bad arguments to it); what they print must not
// depend on which program parsed them.
beforeAll(assertBuilt);

describe("the frequent commands' own program", () => {
  it("finds the command word past global options and their values", () => {
    expect(commandWord(["jobs"])).toBe("jobs");
    expect(commandWord(["-c", "jobs", "status"])).toBe("status");
    expect(commandWord(["--state", "job", "-v", "--json", "trigger", "a"])).toBe("trigger");
    expect(commandWord(["--config=x", "job", "id"])).toBe("job");
    expect(commandWord(["-v", "--", "jobs"])).toBeUndefined();
    expect(commandWord(["--json"])).toBeUndefined();
  });

  it("prints each command's help as the whole program does", async () => {
    for (const name of FREQUENT_COMMANDS) {
      // `herdctl help <name>` names no frequent command, so the whole program answers it.
      const whole = await herdctl(["help", name]);
      expect(whole.code).toBe(0);
      expect(whole.stdout).toMatch(new RegExp(`^Usage: herdctl ${name} `));
      expect(await herdctl([name, "--help"])).toEqual(whole);
    }
  });

  it("reports a bad option or argument as the whole program does", async () => {
    const own = await herdctl(["jobs", "--limt", "3"]);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("unknown option '--limt'");
    expect(own.stderr).toContain("--limit");
    const missing = await herdctl(["-s", "/nonexistent", "job"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument");
  });
});
