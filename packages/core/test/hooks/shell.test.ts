import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HookFailure } from "../../src/hooks/errors.js";
import { runShellHook } from "../../src/hooks/shell.js";
import { hookContext } from "./hook-context.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "herdctl-shell-hook-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = { PATH: process.env.PATH, NODE: process.execPath };

async function failureOf(promise: Promise<unknown>): Promise<HookFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HookFailure);
  return error as HookFailure;
}

describe("shell hook", () => {
  it("gets the context as JSON on stdin and HERDCTL_* variables, without claude's credentials", async () => {
    const context = hookContext({}, dir);
    const dump = `require("fs").writeFileSync("env.json", JSON.stringify(process.env))`;
    await runShellHook({ type: "shell", command: `cat > stdin.json && "$NODE" -e '${dump}'` }, context, {
      env: { ...env, ANTHROPIC_API_KEY: "sk-ant-never-passed", KEEP_ME: "yes", HERDCTL_ERROR: "stale" },
    });
    expect(JSON.parse(await readFile(join(dir, "stdin.json"), "utf8"))).toEqual(context);
    const childEnv = JSON.parse(await readFile(join(dir, "env.json"), "utf8")) as Record<string, string>;
    expect(childEnv).toMatchObject({
      HERDCTL_EVENT: "completed",
      HERDCTL_FLEET: "acme",
      HERDCTL_AGENT: "triager",
      HERDCTL_WORKING_DIRECTORY: dir,
      HERDCTL_JOB_ID: "job-2024-01-01-abc123",
      HERDCTL_SCHEDULE: "nightly",
      HERDCTL_TRIGGER_TYPE: "schedule",
      HERDCTL_STATUS: "completed",
      HERDCTL_EXIT_REASON: "success",
      HERDCTL_ERROR: "",
      HERDCTL_SUMMARY: "Triaged 3 issues",
      HERDCTL_DURATION_MS: "60000",
      HERDCTL_NUM_TURNS: "4",
      HERDCTL_INPUT_TOKENS: "1200",
      HERDCTL_OUTPUT_TOKENS: "340",
      HERDCTL_COST_USD: "0.75",
      KEEP_ME: "yes",
    });
    expect(childEnv.ANTHROPIC_API_KEY).toBeUndefined();
  });

  it("never executes job text: command substitution and backticks in the summary stay data", async () => {
    const marker = join(dir, "pwned");
    const summary = `done $(touch ${marker}) and \`touch ${marker}\`; touch ${marker}`;
    const context = hookContext({ summary, error: `$(touch ${marker})` }, dir);
    await runShellHook(
      {
        type: "shell",
        command:
          'printf "%s" "$HERDCTL_SUMMARY" > quoted.txt; echo $HERDCTL_SUMMARY $HERDCTL_ERROR > unquoted.txt; cat > /dev/null',
      },
      context,
      { env },
    );
    expect(existsSync(marker)).toBe(false);
    expect(await readFile(join(dir, "quoted.txt"), "utf8")).toBe(summary);
    expect(await readFile(join(dir, "unquoted.txt"), "utf8")).toBe(`${summary} $(touch ${marker})\n`);
  });

  it("records a non-zero exit with its code and the tail of stderr", async () => {
    const failure = await failureOf(
      runShellHook(
        { type: "shell", command: "echo starting >&2; echo 'disk full' >&2; exit 3" },
        hookContext({}, dir),
        {
          env,
        },
      ),
    );
    expect(failure.code).toBe("HOOK_EXIT");
    expect(failure.message).toBe("command exited with code 3; stderr: starting\ndisk full");
  });

  it("says so when a failing command wrote nothing to stderr", async () => {
    const failure = await failureOf(
      runShellHook({ type: "shell", command: "exit 1" }, hookContext({}, dir), { env }),
    );
    expect(failure.message).toBe("command exited with code 1 and wrote nothing to stderr");
  });

  it("keeps only the end of a long stderr", async () => {
    const failure = await failureOf(
      runShellHook(
        { type: "shell", command: `"$NODE" -e 'process.stderr.write("a".repeat(5000) + "THE END")'; exit 2` },
        hookContext({}, dir),
        { env },
      ),
    );
    expect(failure.message).toBe(`command exited with code 2; stderr: …${"a".repeat(993)}THE END`);
  });

  it("kills the whole process group on timeout", async () => {
    // The timeout leaves a busy machine time to start the shell and write bg.pid; the sleeps
    // would take 30 s, so ending well before that is the timeout's doing.
    const started = Date.now();
    const failure = await failureOf(
      runShellHook(
        { type: "shell", command: "sleep 30 & echo $! > bg.pid; sleep 30", timeout: 3000 },
        hookContext({}, dir),
        { env },
      ),
    );
    expect(failure.code).toBe("HOOK_TIMEOUT");
    expect(failure.message).toBe(
      "command did not finish within 3 s and was killed; raise the hook's timeout or make the command return sooner",
    );
    expect(Date.now() - started).toBeLessThan(20_000);
    const pid = Number(await readFile(join(dir, "bg.pid"), "utf8"));
    expect(pid).toBeGreaterThan(0);
    await expect.poll(() => isAlive(pid), { timeout: 20_000 }).toBe(false);
  });

  it("stops when the signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const failure = await failureOf(
      runShellHook({ type: "shell", command: "sleep 30" }, hookContext({}, dir), {
        env,
        signal: controller.signal,
      }),
    );
    expect(failure.code).toBe("HOOK_ABORTED");
    expect(failure.message).toBe("did not finish because herdctl is shutting down");
  });

  it("fails clearly when the working directory is missing", async () => {
    const missing = join(dir, "gone");
    const failure = await failureOf(
      runShellHook({ type: "shell", command: "true" }, hookContext({}, missing), { env }),
    );
    expect(failure.code).toBe("HOOK_CWD_MISSING");
    expect(failure.message).toBe(
      `working directory ${missing} does not exist; create it or fix the agent's working_directory`,
    );
  });

  it("survives a huge summary and a command that never reads stdin", async () => {
    const summary = "x".repeat(1024 * 1024);
    await runShellHook(
      { type: "shell", command: 'printf "%s" "$HERDCTL_SUMMARY" | wc -c > length.txt' },
      hookContext({ summary }, dir),
      { env },
    );
    // The environment carries a bounded prefix; the full text is on stdin.
    expect(Number((await readFile(join(dir, "length.txt"), "utf8")).trim())).toBe(16 * 1024);
  });
});

function isAlive(pid: number): boolean {
  try {
    // A killed orphan stays a zombie until init reaps it; it is dead all the same.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}
