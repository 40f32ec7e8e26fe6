import { chmod, mkdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFleet } from "../../../core/src/config/load.js";
import { cachedFleet, type FleetCache } from "../../src/fleet-cache.js";
import { modelEnv } from "../helpers/chat.js";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";

/**
 * An in-process trigger keeps the fleet it parsed in .herdctl/fleet-cache.json, and the next one
 * takes it instead of parsing the files, while nothing the parse read has changed. Real claude
 * against the Anthropic stand-in (fake Anthropic) for the triggers; the cases where the kept fleet
 * no longer applies are also checked on the cache itself.
 */
let standin: Standin;
let dir: string;
let remove: () => Promise<void>;
let env: Record<string, string>;
/** `${NAME}` in a fleet file. */
const ref = (name: string) => `$${"{"}${name}}`;
const state = () => join(dir, ".herdctl");
const CACHE = () => join(state(), "fleet-cache.json");
const configPath = () => join(dir, "herdctl.yaml");
const FILES = ["herdctl.yaml", "agents/keeper.yaml"];
const KEPT = "· the fleet from the fleet cache";

interface Job {
  status: string;
  prompt: string;
}

/** `fn` run with the environment the triggers run with, and `extra`. */
async function withEnv<T>(extra: Record<string, string>, fn: () => T | Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env, extra);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** Files written this instant leave no cache (their times are too close to the parse); age them. */
async function settle(): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (const file of FILES) await utimes(join(dir, file), past, past);
}

async function writeAgent(prompt: string, extra = ""): Promise<void> {
  await writeFile(
    join(dir, "agents", "keeper.yaml"),
    `name: keeper\nruntime: cli\nworking_directory: ../workspace\ndefault_prompt: "${prompt}"\nenv:\n  STYLE: "${ref("GREETING_STYLE")}"\n${extra}`,
  );
  await settle();
}

/** `trigger keeper --fresh --wait -v` with the agent's default prompt: the job, and whether the fleet was kept. */
async function trigger(extraEnv: Record<string, string> = {}): Promise<{ job: Job; kept: boolean }> {
  const r = await herdctl(["--json", "-v", "trigger", "keeper", "--fresh", "--wait"], {
    cwd: dir,
    env: { ...env, ...extraEnv },
  });
  expect(r.code, r.stderr).toBe(0);
  return { job: json<Job>(r), kept: r.stderr.includes(KEPT) };
}

/** The build the bundled CLI stamped the cache with (the sources' own modules have none). */
async function build(): Promise<string> {
  return (JSON.parse(await readFile(CACHE(), "utf8")) as FleetCache).build;
}

beforeAll(async () => {
  assertBuilt();
  standin = await startStandin({ responder: () => textReply("kept") });
  ({ dir, remove } = await tempDir("herdctl-fleet-cache-"));
  env = { ...modelEnv(standin, dir), GREETING_STYLE: "brief" };
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    configPath(),
    "version: 1\nfleet: { name: keeper }\nagents:\n  - path: ./agents/keeper.yaml\n",
  );
  await writeAgent("first prompt");
});
afterAll(async () => {
  await standin.close();
  await remove();
});

describe("trigger without a daemon: the parsed fleet kept for the next trigger", () => {
  it("the second trigger runs from the kept fleet, which is exactly what a parse gives", async () => {
    const first = await trigger();
    expect(first).toMatchObject({ kept: false, job: { status: "completed", prompt: "first prompt" } });
    const second = await trigger();
    expect(second).toMatchObject({ kept: true, job: { status: "completed", prompt: "first prompt" } });
    const b = await build();
    await withEnv({}, async () => {
      const kept = cachedFleet(state(), configPath(), b);
      expect(kept).toBeDefined();
      expect(kept).toStrictEqual(await loadFleet(configPath()));
    });
  });

  it("is private to this user and holds no secret value", async () => {
    expect((await stat(CACHE())).mode & 0o777).toBe(0o600);
    expect((await stat(state())).mode & 0o777).toBe(0o700);
    const text = await readFile(CACHE(), "utf8");
    expect(text).toContain('"keeper"');
    expect(text).not.toContain(env.ANTHROPIC_API_KEY);
  });

  it("is not used after an edit to an included file, the fleet file or a variable the files name", async () => {
    const b = await build();
    expect(await withEnv({}, () => cachedFleet(state(), configPath(), b))).toBeDefined();
    // A variable the agent file names.
    expect(
      await withEnv({ GREETING_STYLE: "long" }, () => cachedFleet(state(), configPath(), b)),
    ).toBeUndefined();
    // Another build never reads it.
    expect(await withEnv({}, () => cachedFleet(state(), configPath(), "another-build"))).toBeUndefined();
    // The fleet file, the same size.
    const fleetText = await readFile(configPath(), "utf8");
    await writeFile(configPath(), fleetText.replace("keeper }", "keepex }"));
    await settle();
    expect(await withEnv({}, () => cachedFleet(state(), configPath(), b))).toBeUndefined();
    await writeFile(configPath(), fleetText);
    await settle();
    // The included agent file: the next trigger parses it and runs its new prompt.
    await writeAgent("second prompt");
    expect(await withEnv({}, () => cachedFleet(state(), configPath(), b))).toBeUndefined();
    const edited = await trigger();
    expect(edited).toMatchObject({ kept: false, job: { status: "completed", prompt: "second prompt" } });
    const again = await trigger();
    expect(again).toMatchObject({ kept: true, job: { prompt: "second prompt" } });
  });

  it("a fleet whose configuration holds a secret is not kept", async () => {
    await rm(CACHE());
    await writeAgent("third prompt", `  API_TOKEN: "${ref("KEEPER_TOKEN")}"\n`);
    const token = { KEEPER_TOKEN: "tok-0123456789-secret" };
    const r = await trigger(token);
    expect(r.job).toMatchObject({ status: "completed", prompt: "third prompt" });
    await expect(stat(CACHE())).rejects.toThrow(/ENOENT/);
    // Nor a literal value under a secret-looking key.
    await writeAgent("fourth prompt", '  API_TOKEN: "literal-0123456789"\n');
    await trigger();
    await expect(stat(CACHE())).rejects.toThrow(/ENOENT/);
  });

  it("HERDCTL_LAUNCH_CACHE=0 neither keeps nor takes it", async () => {
    await writeAgent("fifth prompt");
    const off = { HERDCTL_LAUNCH_CACHE: "0" };
    await trigger(off);
    await expect(stat(CACHE())).rejects.toThrow(/ENOENT/);
    await trigger();
    expect((await trigger(off)).kept).toBe(false);
    expect((await trigger()).kept).toBe(true);
    // A damaged file is parsed over, and written again.
    await chmod(CACHE(), 0o600);
    await writeFile(CACHE(), "{ not json");
    expect((await trigger()).kept).toBe(false);
    expect((await trigger()).kept).toBe(true);
  });
});
