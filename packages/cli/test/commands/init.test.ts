import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  ({ dir, remove } = await tempDir("herdctl-init-"));
});
afterEach(() => remove());

describe("herdctl init", () => {
  it("scaffolds a fleet that validates and runs offline", async () => {
    const r = await herdctl(["init", "--yes", "--name", "myfleet"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("created herdctl.yaml, agents/assistant.yaml, workspace");
    expect(r.stdout).toContain("herdctl trigger assistant --offline --wait");
    for (const f of ["herdctl.yaml", "agents/assistant.yaml", "workspace/README.md", ".gitignore"])
      expect(existsSync(join(dir, f))).toBe(true);

    const valid = json<{ valid: boolean; agents: number }>(
      await herdctl(["--json", "config", "validate"], { cwd: dir }),
    );
    expect(valid).toMatchObject({ valid: true, agents: 1 });
    const shown = json<{ fleet: { name: string } }>(
      await herdctl(["--json", "config", "show"], { cwd: dir }),
    );
    expect(shown.fleet.name).toBe("myfleet");

    const run = await herdctl(["--json", "trigger", "assistant", "--offline", "--wait"], { cwd: dir });
    expect(run.code).toBe(0);
    const job = json<{ status: string; agent: string }>(run);
    expect(job).toMatchObject({ status: "completed", agent: "assistant" });
  });

  it("names the fleet after the folder by default and takes --agent; --json describes what it made", async () => {
    const r = await herdctl(["--json", "init", "--yes", "--agent", "helper"], { cwd: dir });
    expect(r.code).toBe(0);
    const doc = json<{ fleet: string; agents: string[]; files: string[]; configPath: string }>(r);
    expect(doc.fleet).toMatch(/^herdctl-init-/);
    expect(doc.agents).toEqual(["helper"]);
    expect(doc.files).toEqual(["herdctl.yaml", "agents/helper.yaml", "workspace"]);
    expect(doc.configPath).toBe(join(dir, "herdctl.yaml"));
  });

  it("refuses to overwrite without --force, and overwrites with it", async () => {
    await writeFile(join(dir, "herdctl.yaml"), "# mine\n");
    const r = await herdctl(["init", "--yes"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `herdctl: ${join(dir, "herdctl.yaml")} already exists; pass --force to overwrite it\n`,
    );
    expect(await readFile(join(dir, "herdctl.yaml"), "utf8")).toBe("# mine\n");
    const forced = await herdctl(["init", "--yes", "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(await readFile(join(dir, "herdctl.yaml"), "utf8")).toContain("version: 1");
  });

  it("rejects a name that is not a valid fleet name with exit 2", async () => {
    const r = await herdctl(["init", "--yes", "--name", "my fleet!"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'herdctl: --name "my fleet!": use letters, digits, - and _, starting with a letter or digit\n',
    );
    expect(existsSync(join(dir, "herdctl.yaml"))).toBe(false);
  });
});
