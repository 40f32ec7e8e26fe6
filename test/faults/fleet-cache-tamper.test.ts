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
import { cachedFleet, type FleetCache } from "../../packages/cli/src/fleet-cache.js";
import { herdctl } from "../../packages/cli/test/helpers/cli.js";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { scratch, writeFleetFiles } from "./helpers.js";

/**
 * .herdctl/fleet-cache.json is the fleet an in-process trigger runs instead of parsing the files:
 * whoever can write it decides what a job runs. So it is read only when this user owns it and no
 * other user can read or write it, it is not a symlink, and the state directory is ours and not
 * writable by others; a file another local user could have placed is ignored and the fleet files
 * are parsed. Real claude on the Anthropic stand-in (fake Anthropic).
 */
const MARK = "TAMPERED-PROMPT-FROM-THE-TEST";
const root = scratch("herdctl-fleet-tamper-");
const stateDir = join(root.dir, ".herdctl");
const cacheFile = join(stateDir, "fleet-cache.json");
const configPath = join(root.dir, "herdctl.yaml");
const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;
let standin: Standin;
let env: Record<string, string>;
let build: string;

function trigger() {
  return herdctl(["--json", "-v", "trigger", "worker", "--fresh", "--wait"], { cwd: root.dir, env });
}

/** cachedFleet with the environment the triggers run with. */
function cached() {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return cachedFleet(stateDir, configPath, build);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

beforeAll(async () => {
  standin = await startStandin({ responder: () => textReply("done") });
  env = { ...claudeEnv(standin, root.dir), NO_COLOR: "1" };
  writeFleetFiles(root.dir, "tamper", { worker: 'runtime: cli\ndefault_prompt: "the fleet\'s prompt"\n' });
  const past = new Date(Date.now() - 60_000);
  for (const f of ["herdctl.yaml", "agents/worker.yaml"]) utimesSync(join(root.dir, f), past, past);
  const first = await trigger();
  expect(first.code, first.stderr).toBe(0);
  const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as FleetCache;
  build = cache.build;
  // What another user would plant: the same fleet with another prompt.
  const agent = cache.fleet.agents.find((a) => a.name === "worker");
  if (!agent) throw new Error("no worker in the kept fleet");
  agent.default_prompt = MARK;
  writeFileSync(cacheFile, JSON.stringify(cache), { mode: 0o600 });
  expect(cached()?.agents[0]?.default_prompt).toBe(MARK);
});
afterAll(async () => {
  await standin.close();
  root.cleanup();
});

describe("a fleet cache another user could have written is not read", () => {
  it("owned by another user: the job runs the fleet file's prompt", async () => {
    chownSync(cacheFile, 1000, 1000);
    expect(cached()).toBeUndefined();
    const r = await trigger();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("the fleet from the fleet cache");
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "completed", prompt: "the fleet's prompt" });
    for (const request of standin.mainRequests) expect(JSON.stringify(request.body)).not.toContain(MARK);
  });

  it("readable or writable by others, a symlink, or in a state directory others can write", () => {
    // The trigger above wrote the fleet's own cache again; plant the tampered one, ours and private.
    const cache = JSON.parse(readFileSync(cacheFile, "utf8")) as FleetCache;
    const agent = cache.fleet.agents.find((a) => a.name === "worker");
    if (!agent) throw new Error("no worker in the kept fleet");
    agent.default_prompt = MARK;
    writeFileSync(cacheFile, JSON.stringify(cache), { mode: 0o600 });
    chownSync(cacheFile, uid, gid);
    expect(cached()?.agents[0]?.default_prompt).toBe(MARK);
    chmodSync(cacheFile, 0o644);
    expect(cached()).toBeUndefined();
    chmodSync(cacheFile, 0o620);
    expect(cached()).toBeUndefined();
    chmodSync(cacheFile, 0o600);
    chmodSync(stateDir, 0o777);
    expect(cached()).toBeUndefined();
    chmodSync(stateDir, 0o700);
    chownSync(stateDir, 1000, 1000);
    expect(cached()).toBeUndefined();
    chownSync(stateDir, uid, gid);
    expect(cached()).toBeDefined();
    // A symlink in its place, even to a file of ours with the same content.
    renameSync(cacheFile, join(root.dir, "elsewhere.json"));
    symlinkSync(join(root.dir, "elsewhere.json"), cacheFile);
    expect(cached()).toBeUndefined();
  });
});
