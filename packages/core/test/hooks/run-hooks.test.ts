import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HookContext } from "../../src/hooks/context.js";
import { type AgentHooks, type HookSpec, runHooks, selectHooks } from "../../src/hooks/run-hooks.js";
import { Redactor } from "../../src/secrets/redactor.js";
import type { TerminalJobStatus } from "../../src/state/job-status.js";
import { hookContext } from "./hook-context.js";
import { startReceiver } from "./receiver.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "herdctl-run-hooks-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = { PATH: process.env.PATH };
const record = (tag: string, extra: Partial<HookSpec> = {}): HookSpec =>
  ({ type: "shell", command: `echo ${tag} >> ran.txt`, ...extra }) as HookSpec;

function contextFor(status: TerminalJobStatus): HookContext {
  return hookContext({ status, exitReason: status === "completed" ? "success" : "error" }, dir);
}

async function ran(): Promise<string[]> {
  if (!existsSync(join(dir, "ran.txt"))) return [];
  return (await readFile(join(dir, "ran.txt"), "utf8")).trim().split("\n");
}

describe("runHooks: which hooks run", () => {
  const hooks: AgentHooks = {
    after_run: [record("after0"), record("after1")],
    on_error: [record("error0")],
  };

  it.each([
    ["completed", ["after0", "after1"]],
    ["failed", ["after0", "after1", "error0"]],
    ["timed_out", ["after0", "after1", "error0"]],
    ["interrupted", ["after0", "after1", "error0"]],
    // A cancellation is the user's own doing, not an error.
    ["cancelled", ["after0", "after1"]],
  ] as const)("%s runs %j, after_run first", async (status, expected) => {
    const results = await runHooks(hooks, contextFor(status), { env });
    expect(await ran()).toEqual(expected);
    expect(results.map((r) => r.hook)).toEqual(
      expected.map((tag) =>
        tag.startsWith("after") ? `after_run[${tag.at(-1)}] shell` : `on_error[0] shell`,
      ),
    );
    expect(results.every((r) => r.ok && typeof r.durationMs === "number" && r.error === undefined)).toBe(
      true,
    );
  });

  it("narrows each list with on_events, accepting the config's 'timeout' spelling", async () => {
    const narrowed: AgentHooks = {
      after_run: [
        record("only-cancelled", { on_events: ["cancelled"] }),
        record("completed-or-failed", { on_events: ["completed", "failed"] }),
        record("timeouts", { on_events: ["timeout"] }),
      ],
      // on_events cannot widen on_error to a cancellation.
      on_error: [
        record("error-cancelled", { on_events: ["cancelled"] }),
        record("error-timed-out", { on_events: ["timed_out"] }),
      ],
    };
    await runHooks(narrowed, contextFor("cancelled"), { env });
    expect(await ran()).toEqual(["only-cancelled"]);
    await rm(join(dir, "ran.txt"));
    await runHooks(narrowed, contextFor("timed_out"), { env });
    expect(await ran()).toEqual(["timeouts", "error-timed-out"]);
    await rm(join(dir, "ran.txt"));
    await runHooks(narrowed, contextFor("failed"), { env });
    expect(await ran()).toEqual(["completed-or-failed"]);
  });

  it("applies when filters, records an invalid one and still runs the others", async () => {
    const results = await runHooks(
      {
        after_run: [
          record("cheap", { when: "cost_usd < 0.5" }),
          record("expensive", { when: 'cost_usd > 0.5 && agent == "triager"' }),
          record("broken", { when: 'status = "failed"' }),
          record("last", { name: "notify ops" }),
        ],
      },
      contextFor("completed"),
      { env },
    );
    expect(await ran()).toEqual(["expensive", "last"]);
    expect(results).toEqual([
      { hook: "after_run[1] shell", ok: true, durationMs: expect.any(Number) },
      {
        hook: "after_run[2] shell",
        ok: false,
        durationMs: 0,
        code: "HOOK_WHEN_INVALID",
        error:
          'skipped because its when filter is invalid: when "status = \\"failed\\"": unexpected "=" at column 8; use == to compare values',
      },
      { hook: "after_run[3] shell (notify ops)", ok: true, durationMs: expect.any(Number) },
    ]);
  });

  it("selectHooks labels hooks by list, index, type and name", () => {
    const selected = selectHooks(
      { after_run: [{ type: "webhook", url: "http://127.0.0.1:1", name: "slack" }], on_error: [record("x")] },
      "failed",
    );
    expect(selected.map((s) => s.label)).toEqual(["after_run[0] webhook (slack)", "on_error[0] shell"]);
    expect(selectHooks(undefined, "failed")).toEqual([]);
  });
});

describe("runHooks: failures are results", () => {
  it("records a failing hook and goes on with the next", async () => {
    const results = await runHooks(
      { after_run: [{ type: "shell", command: "echo nope >&2; exit 4" }, record("next")] },
      contextFor("completed"),
      { env },
    );
    expect(await ran()).toEqual(["next"]);
    expect(results[0]).toEqual({
      hook: "after_run[0] shell",
      ok: false,
      durationMs: expect.any(Number),
      code: "HOOK_EXIT",
      error: "command exited with code 4; stderr: nope",
    });
    expect(results[1]!.ok).toBe(true);
  });

  it("skips the rest after a failure of a hook with continue_on_error: false", async () => {
    const results = await runHooks(
      {
        after_run: [{ type: "shell", command: "exit 1", continue_on_error: false }, record("never")],
        on_error: [record("never-either")],
      },
      contextFor("failed"),
      { env },
    );
    expect(await ran()).toEqual([]);
    expect(results.slice(1)).toEqual([
      {
        hook: "after_run[1] shell",
        ok: false,
        durationMs: 0,
        code: "HOOK_SKIPPED",
        skipped: true,
        error: "skipped because after_run[0] shell failed and has continue_on_error: false",
      },
      {
        hook: "on_error[0] shell",
        ok: false,
        durationMs: 0,
        code: "HOOK_SKIPPED",
        skipped: true,
        error: "skipped because after_run[0] shell failed and has continue_on_error: false",
      },
    ]);
  });

  it("never throws, whatever it is given", async () => {
    expect(await runHooks(undefined, contextFor("failed"))).toEqual([]);
    expect(await runHooks({}, contextFor("failed"))).toEqual([]);
    const odd = { after_run: [{ type: "webhook", url: "not a url" }] } as unknown as AgentHooks;
    const results = await runHooks(odd, contextFor("completed"), { env });
    expect(results).toEqual([
      {
        hook: "after_run[0] webhook",
        ok: false,
        durationMs: expect.any(Number),
        code: "HOOK_INTERNAL",
        error: "failed unexpectedly: Invalid URL",
      },
    ]);
    const garbage = { after_run: "not a list" } as unknown as AgentHooks;
    const broken = await runHooks(garbage, contextFor("completed"), { env });
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({ hook: "hooks", ok: false, code: "HOOK_INTERNAL" });
  });

  it("skips the remaining hooks once the signal has aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const results = await runHooks(
      { after_run: [{ type: "shell", command: "sleep 30" }, record("after-abort")] },
      contextFor("completed"),
      { env, signal: controller.signal },
    );
    expect(await ran()).toEqual([]);
    expect(results.map((r) => [r.code, r.skipped ?? false])).toEqual([
      ["HOOK_ABORTED", false],
      ["HOOK_ABORTED", true],
    ]);
  });
});

describe("runHooks: secrets stay out of errors", () => {
  it("redacts secret-looking env values, signing secrets and auth headers that a hook echoes back", async () => {
    // The receiver echoes the request's credentials back in its error body.
    const echoing = await startReceiver([{ status: 400, body: "bad token Bearer header-token-123 for you" }]);
    try {
      const results = await runHooks(
        {
          after_run: [
            { type: "shell", command: 'echo "token=$GITHUB_TOKEN key=$SIGNING" >&2; exit 1' },
            {
              type: "webhook",
              url: echoing.url,
              headers: { Authorization: "Bearer header-token-123" },
              secret_env: "SIGNING",
            },
          ],
        },
        contextFor("completed"),
        {
          env: { ...env, GITHUB_TOKEN: "ghp_supersecretvalue", SIGNING: "signing-secret-value" },
          redactor: new Redactor(["for you"]),
        },
      );
      expect(results.map((r) => r.error)).toEqual([
        "command exited with code 1; stderr: token=[redacted] key=[redacted]",
        `POST ${echoing.url} answered 400 after 1 attempt: bad token [redacted] [redacted]`,
      ]);
    } finally {
      await echoing.close();
    }
  });
});

describe("runHooks: end to end", () => {
  it("a summary with shell metacharacters reaches a shell hook and a webhook as data only", async () => {
    const marker = join(dir, "pwned");
    const receiver = await startReceiver([{ status: 200 }]);
    try {
      const summary = `$(touch ${marker}) \`touch ${marker}\``;
      const context = hookContext({ summary, status: "failed", exitReason: "error" }, dir);
      const results = await runHooks(
        {
          after_run: [{ type: "shell", command: 'echo "$HERDCTL_SUMMARY" $HERDCTL_SUMMARY > seen.txt' }],
          on_error: [{ type: "webhook", url: receiver.url, when: 'summary != null && event == "failed"' }],
        },
        context,
        { env },
      );
      expect(results.map((r) => r.ok)).toEqual([true, true]);
      expect(existsSync(marker)).toBe(false);
      expect(await readFile(join(dir, "seen.txt"), "utf8")).toBe(`${summary} ${summary}\n`);
      expect(JSON.parse(receiver.received[0]!.body).job.summary).toBe(summary);
    } finally {
      await receiver.close();
    }
  });
});
