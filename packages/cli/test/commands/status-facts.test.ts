import { mkdir, readFile, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";

// `herdctl status` without a daemon keeps what it needs of the fleet's configuration in
// .herdctl/status-facts.json after parsing the fleet files, and reads that instead while nothing
// it came from changed. These tests run the built CLI on a real fleet folder and state store.

let dir: string;
let remove: () => Promise<void>;
/** `${NAME}` in a fleet file. */
const ref = (name: string) => `$${"{"}${name}}`;
const FACTS = () => join(dir, ".herdctl", "status-facts.json");

interface Status {
  fleet: string;
  agents: Array<{ name: string; model: string | null; runtime: string; schedules: Array<{ name: string }> }>;
}

async function writeFiles(agentBody: string): Promise<void> {
  await mkdir(join(dir, "agents"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: facts }\nagents:\n  - path: ./agents/scribe.yaml\n",
  );
  await writeFile(join(dir, "agents", "scribe.yaml"), `name: scribe\nruntime: cli\n${agentBody}`);
  await settle();
}

/** Files written this instant leave no facts (their times are too close to the parse); age them. */
async function settle(): Promise<void> {
  const past = new Date(Date.now() - 60_000);
  for (const file of ["herdctl.yaml", "agents/scribe.yaml"]) await utimes(join(dir, file), past, past);
}

async function status(env: Record<string, string | undefined> = {}): Promise<Status> {
  const r = await herdctl(["--json", "status"], { cwd: dir, env });
  expect(r.stderr).toBe("");
  return json<Status>(r) as unknown as Status;
}

/** Rewrites the kept facts' fleet name, so a status that used them says so. */
async function markFacts(name: string): Promise<void> {
  const facts = JSON.parse(await readFile(FACTS(), "utf8"));
  facts.fleet.name = name;
  await writeFile(FACTS(), JSON.stringify(facts));
}

beforeEach(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-status-facts-"));
});
afterEach(() => remove());

describe("herdctl status without a daemon: the kept configuration facts", () => {
  it("are written by a status that parsed the fleet, and read by the next one", async () => {
    await writeFiles("model: claude-sonnet-4-5\n");
    expect((await status()).fleet).toBe("facts");
    const facts = JSON.parse(await readFile(FACTS(), "utf8"));
    expect(facts.agents.map((a: { name: string }) => a.name)).toEqual(["scribe"]);

    await markFacts("from-the-facts-file");
    expect((await status()).fleet).toBe("from-the-facts-file");
  });

  it("are not used once the agent file is edited: status parses again and keeps new facts", async () => {
    await writeFiles("model: claude-sonnet-4-5\n");
    await status();
    await markFacts("stale");
    await writeFile(
      join(dir, "agents", "scribe.yaml"),
      "name: scribe\nruntime: cli\nmodel: claude-opus-4-1\nschedules: { daily: { type: cron, cron: 0 7 * * * } }\n",
    );
    const after = await status();
    expect(after.fleet).toBe("facts");
    expect(after.agents[0]?.model).toBe("claude-opus-4-1");
    expect(after.agents[0]?.schedules.map((s) => s.name)).toEqual(["daily"]);
  });

  it("are not used when a variable the files refer to has another value", async () => {
    await writeFiles(`model: ${ref("STATUS_FACTS_MODEL")}\n`);
    expect((await status({ STATUS_FACTS_MODEL: "claude-sonnet-4-5" })).agents[0]?.model).toBe(
      "claude-sonnet-4-5",
    );
    expect((await status({ STATUS_FACTS_MODEL: "claude-opus-4-1" })).agents[0]?.model).toBe(
      "claude-opus-4-1",
    );
  });

  it("damaged or from another shape: status falls back to parsing and writes them again", async () => {
    await writeFiles("");
    await status();
    for (const damaged of ["{not json", JSON.stringify({ format: 1, agents: "none" }), ""]) {
      await writeFile(FACTS(), damaged);
      const s = await status();
      expect(s.fleet).toBe("facts");
      expect(s.agents.map((a) => a.runtime)).toEqual(["cli"]);
      expect(JSON.parse(await readFile(FACTS(), "utf8")).fleet.name).toBe("facts");
    }
  });

  it("are not kept when a value status shows comes from a secret-looking variable, and never hold secrets", async () => {
    await writeFiles(`env:\n  SERVICE_TOKEN: ${ref("STATUS_FACTS_TOKEN")}\n`);
    await status({ STATUS_FACTS_TOKEN: "tok-3f9c2a71d0" });
    const kept = await readFile(FACTS(), "utf8");
    expect(kept).not.toContain("tok-3f9c2a71d0");
    expect(JSON.parse(kept).env.STATUS_FACTS_TOKEN).toBe(true);

    await writeFiles(`model: ${ref("MODEL_SECRET")}\n`);
    await status({ MODEL_SECRET: "claude-sonnet-4-5" });
    // The fact-bearing value came from a secret-looking name: the old facts file is left as is,
    // and it no longer matches the edited agent file, so nothing stale is shown.
    expect(await readFile(FACTS(), "utf8")).toBe(kept);
    expect((await status({ MODEL_SECRET: "claude-opus-4-1" })).agents[0]?.model).toBe("claude-opus-4-1");
  });
});
