import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import { credentialOf } from "@herdctl/core/internal/usage-limits/credential";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, tempDir, writeFleet } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;
// The credential the fleet's .env names; nothing listens there: a refused trigger never reaches it.
const ENV = { ANTHROPIC_API_KEY: "sk-ant-test-usage-limit", ANTHROPIC_BASE_URL: "http://127.0.0.1:9" };

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-usage-limit-"));
  await writeFleet(dir);
  await writeFile(
    join(dir, ".env"),
    Object.entries(ENV)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
});
afterAll(() => remove());

describe("a stored usage-limit pause, without a daemon", () => {
  it("status shows 'paused until HH:MM (usage limit)'; trigger is refused, naming --force as the way around", async () => {
    const credential = credentialOf([() => ENV]);
    const state = new StateManager(join(dir, ".herdctl"));
    state.open();
    state.usagePauses.put({
      credential: credential.id,
      label: credential.label,
      pausedAt: new Date().toISOString(),
      until: new Date(Date.now() + 3_600_000).toISOString(),
      source: "rate_limit_event",
      message: "You've hit your 5-hour limit",
      jobId: null,
    });
    state.close();

    const status = await herdctl(["status"], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(
        `usage +greeter paused until (\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d \\(usage limit\\); ${credential.label}`,
      ),
    );
    const trigger = await herdctl(["trigger", "greeter", "-p", "hi"], { cwd: dir });
    expect(trigger.code).not.toBe(0);
    expect(trigger.stderr).toMatch(/agent greeter is paused until .* \(usage limit\).*Trigger with --force/);
  });
});
