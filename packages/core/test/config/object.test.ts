import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, type FleetDefinition, formatIssue, loadFleetObject } from "../../src/config/index.js";
import { tempDir } from "../helpers/fleet.js";

describe("a fleet given as an object", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  async function problems(definition: unknown): Promise<string[]> {
    const error = await loadFleetObject(definition as FleetDefinition, { baseDir: tmp.dir, env: {} }).catch(
      (e: unknown) => e,
    );
    if (!(error instanceof ConfigError)) throw new Error("expected a ConfigError");
    return error.issues.map(formatIssue);
  }

  it("is validated with the fleet file's schemas, each issue naming its key path", async () => {
    expect(
      await problems({
        fleet: { nmae: "x" },
        agents: [
          { name: "ok" },
          { name: "bad name" },
          { name: "c", schedules: { s: { type: "cron" } } },
          { name: "ok" },
          "not an agent",
        ],
      }),
    ).toEqual([
      'fleet object fleet.nmae: unknown key "nmae"\n    hint: did you mean "name"?',
      expect.stringMatching(/^fleet object agents\[1\]\.name: "bad name" is not a valid agent name/),
      expect.stringMatching(/^fleet object agents\[2\]\.schedules\.s\.cron: /),
      expect.stringMatching(
        /^fleet object agents\[3\]\.name: agent name "ok" is already used by fleet object agents\[0\]\.name/,
      ),
      "fleet object agents[4]: expected a mapping of keys to values; got a single value",
    ]);
    expect(await problems({ defaults: { timeout: "later" }, agents: [{ name: "a" }] })).toEqual([
      expect.stringMatching(/^fleet object defaults\.timeout: "later" is not a duration/),
    ]);
  });

  it("resolves against baseDir like a fleet file's folder: defaults, paths, .env, hook trust", async () => {
    mkdirSync(join(tmp.dir, "work"));
    writeFileSync(join(tmp.dir, ".env"), "EXAMPLE_MODEL=claude-haiku-4-5\n");
    const loaded = await loadFleetObject(
      {
        defaults: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a fleet's ${VAR} reference, as written
          model: "${EXAMPLE_MODEL}",
          hooks: { after_run: [{ type: "shell", command: "true" }] },
        },
        agents: [
          { name: "here" },
          {
            name: "there",
            working_directory: "work",
            timeout: "5m",
            hooks: { after_run: [{ type: "shell", command: "false" }] },
          },
        ],
      },
      { baseDir: tmp.dir, env: {} },
    );
    expect(loaded.fleet.name).toBe(tmp.dir.split("/").at(-1));
    const [here, there] = loaded.agents;
    expect(here).toMatchObject({ name: "here", model: "claude-haiku-4-5", working_directory: tmp.dir });
    expect(there).toMatchObject({ working_directory: join(tmp.dir, "work"), timeout: 300_000 });
    // The object's defaults are the fleet's; an agent's own hooks are held to the agent's privileges.
    expect(here!.hooks?.after_run?.map((h) => h.declaredIn)).toEqual(["fleet"]);
    expect(there!.hooks?.after_run?.map((h) => h.declaredIn)).toEqual(["agent"]);
    // Nothing is written for the object: the only files are the ones this test made.
    expect(loaded.protectedPaths.filter((p) => p.startsWith(tmp.dir))).toEqual([join(tmp.dir, ".env")]);
  });
});
