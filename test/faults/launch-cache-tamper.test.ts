import {
  chmodSync,
  chownSync,
  readFileSync,
  renameSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cachedLaunch } from "../../packages/cli/src/launch-cache.js";
import { herdctl } from "../../packages/cli/test/helpers/cli.js";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { isAlive, scratch, writeFleetFiles } from "./helpers.js";

/**
 * .herdctl/launch-cache.json tells an in-process trigger how to start claude before it has read the
 * fleet. Whoever edits it must not change what a job runs: the job takes the process started from
 * it only when the claude the parsed fleet gives is exactly that one, and a file another user could
 * have written (not ours, readable or writable by others, a symlink) is not read at all. Real
 * claude on the Anthropic stand-in (fake Anthropic).
 */
const MARK = "TAMPERED-BY-THE-TEST";
const root = scratch("herdctl-launch-tamper-");
const stateDir = join(root.dir, ".herdctl");
const cacheFile = join(stateDir, "launch-cache.json");
const configPath = join(root.dir, "herdctl.yaml");
let standin: Standin;
let env: Record<string, string>;

function trigger() {
  return herdctl(["--json", "-v", "trigger", "worker", "-p", "hi", "--fresh", "--wait"], {
    cwd: root.dir,
    env,
  });
}

/** cachedLaunch with the environment the triggers run with. */
function cached() {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return cachedLaunch(stateDir, configPath, "worker", { fresh: true });
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

beforeAll(async () => {
  standin = await startStandin({ responder: () => textReply("done") });
  env = { ...claudeEnv(standin, root.dir), NO_COLOR: "1" };
  writeFleetFiles(root.dir, "tamper", { worker: "runtime: cli\n" });
  const past = new Date(Date.now() - 60_000);
  for (const f of ["herdctl.yaml", "agents/worker.yaml"]) utimesSync(join(root.dir, f), past, past);
  const first = await trigger();
  expect(first.code, first.stderr).toBe(0);
  expect(cached()).toBeDefined();
});
afterAll(async () => {
  await standin.close();
  root.cleanup();
});

describe("an edited launch cache does not change what a job runs", () => {
  it("a changed argv: the process started from it is ended unused, and the job's claude is the fleet's", async () => {
    const cache = JSON.parse(readFileSync(cacheFile, "utf8"));
    cache.agents.worker.args.push(`--append-system-prompt=${MARK}`);
    writeFileSync(cacheFile, JSON.stringify(cache), { mode: 0o600 });
    const before = standin.mainRequests.length;
    const r = await trigger();
    expect(r.code, r.stderr).toBe(0);
    const ahead = Number(/claude started ahead from the launch cache \(pid (\d+)\)/.exec(r.stderr)?.[1]);
    expect(ahead).toBeGreaterThan(0);
    expect(r.stderr).toContain("was not used");
    const job = JSON.parse(r.stdout) as { status: string; pid: number };
    expect(job.status).toBe("completed");
    expect(job.pid).not.toBe(ahead);
    expect(isAlive(ahead)).toBe(false);
    const requests = standin.mainRequests.slice(before);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) expect(request.systemText).not.toContain(MARK);
    // The trigger wrote the cache again from what the job really ran.
    expect(readFileSync(cacheFile, "utf8")).not.toContain(MARK);
  });

  it("a cache file others could have written is not read", () => {
    expect(cached()).toBeDefined();
    chmodSync(cacheFile, 0o644);
    expect(cached()).toBeUndefined();
    chmodSync(cacheFile, 0o600);
    chownSync(cacheFile, 1000, 1000);
    expect(cached()).toBeUndefined();
    chownSync(cacheFile, process.getuid?.() ?? 0, process.getgid?.() ?? 0);
    expect(cached()).toBeDefined();
    // A symlink in its place, even to a file of ours with the same content.
    renameSync(cacheFile, join(root.dir, "elsewhere.json"));
    symlinkSync(join(root.dir, "elsewhere.json"), cacheFile);
    expect(cached()).toBeUndefined();
  });
});
