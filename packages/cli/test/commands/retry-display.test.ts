import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StateManager } from "../../../core/src/state/index.js";
import { assertBuilt, herdctl, tempDir, writeFleet } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;
let first: string;
let second: string;

// Rows as the daemon leaves them after a 529 and a retry that is waiting for its backoff.
beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir());
  await writeFleet(dir);
  const state = new StateManager(join(dir, ".herdctl"));
  state.open();
  try {
    const create = (attempt: number, retryOf: string | null) =>
      state.jobs.create({
        agent: "greeter",
        triggerType: "manual",
        prompt: "hi",
        runtime: "cli",
        attempt,
        retryOf,
      });
    const fail = (id: string, nextRetryAt: string) => {
      state.jobs.start(id);
      state.jobs.finish(id, {
        status: "failed",
        exitReason: "api_error",
        apiErrorKind: "server_error",
        error: "API Error: 529 Overloaded",
      });
      state.jobs.update(id, { nextRetryAt });
    };
    first = create(1, null).id;
    fail(first, "2099-01-01T00:00:00.000Z");
    state.jobs.update(first, { nextRetryAt: null });
    second = create(2, first).id;
    fail(second, "2099-01-01T00:01:00.000Z");
  } finally {
    state.close();
  }
});
afterAll(() => remove());

describe("retries in jobs and job", () => {
  it("lists the attempt of a retry", async () => {
    const r = await herdctl(["jobs"], { cwd: dir });
    const [, newest, oldest] = r.stdout.trimEnd().split("\n");
    expect(newest).toMatch(new RegExp(`^${second}\\s+greeter\\s+failed\\s+manual \\(attempt 2\\)\\s`));
    expect(oldest).toMatch(new RegExp(`^${first}\\s+greeter\\s+failed\\s+manual\\s`));
  });

  it("shows the API error's class, the first job and when the next attempt starts", async () => {
    const r = await herdctl(["job", second], { cwd: dir });
    expect(r.stdout).toMatch(/Status:\s+failed \(api_error: server_error\)/);
    expect(r.stdout).toMatch(/Trigger:\s+manual \(attempt 2\)/);
    expect(r.stdout).toMatch(new RegExp(`Retry of:\\s+${first}`));
    expect(r.stdout).toMatch(/Next attempt:\s+3, 2099-01-01T00:01:00.000Z \(in \d+/);
  });
});
