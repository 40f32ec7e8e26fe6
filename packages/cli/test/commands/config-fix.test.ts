import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, tempDir } from "../helpers/cli.js";

/** `config validate --fix` on a reference-shaped fleet, through the built binary. */
let dir: string;
let remove: () => Promise<void>;

beforeAll(() => assertBuilt());
beforeEach(async () => {
  ({ dir, remove } = await tempDir("herdctl-fix-"));
});
afterEach(() => remove());

describe("config validate --fix", () => {
  it("renames deprecated keys in the fleet and agent files, keeps comments, and validates clean after", async () => {
    mkdirSync(join(dir, "agents"));
    mkdirSync(join(dir, "work"));
    const fleet =
      "version: 1\nfleet: { name: fixme }\n# agents below\nagents:\n  - path: ./agents/a.yaml # the only one\n";
    const agent =
      "name: a\nworkspace: ../work # where it runs\nschedules:\n  nightly:\n    type: cron\n    expression: '0 3 * * *'\n";
    writeFileSync(join(dir, "herdctl.yaml"), fleet);
    writeFileSync(join(dir, "agents", "a.yaml"), agent);

    const before = await herdctl(["config", "validate"], { cwd: dir });
    expect(before.code).toBe(0);
    expect(before.stderr).toContain('"workspace" is deprecated; use "working_directory"');

    const r = await herdctl(["config", "validate", "--fix"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("fixed agents/a.yaml:2 workspace: renamed workspace to working_directory");
    expect(r.stdout).toContain(
      "fixed agents/a.yaml:6 schedules.nightly.expression: renamed expression to cron",
    );
    expect(r.stdout).toMatch(/ok .*herdctl\.yaml: fleet fixme, 1 agent/);
    expect(r.stderr).not.toContain("deprecated");
    expect(readFileSync(join(dir, "herdctl.yaml"), "utf8")).toBe(fleet);
    expect(readFileSync(join(dir, "agents", "a.yaml"), "utf8")).toBe(
      "name: a\nworking_directory: ../work # where it runs\nschedules:\n  nightly:\n    type: cron\n    cron: '0 3 * * *'\n",
    );

    const again = await herdctl(["config", "validate", "--fix", "--json"], { cwd: dir });
    expect(JSON.parse(again.stdout)).toMatchObject({ valid: true, fixed: [], warnings: [] });
  });

  it("fixes what it can in a fleet that does not load yet, and still lists the remaining problems", async () => {
    const fleet = "version: 1\nworkspace: ./w\nagents:\n  - path: ./missing.yaml\n";
    writeFileSync(join(dir, "herdctl.yaml"), fleet);
    const r = await herdctl(["config", "validate", "--fix"], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain("fixed herdctl.yaml:2 workspace: renamed workspace to working_directory");
    expect(r.stderr).toContain("missing.yaml");
    expect(readFileSync(join(dir, "herdctl.yaml"), "utf8")).toBe(
      "version: 1\nworking_directory: ./w\nagents:\n  - path: ./missing.yaml\n",
    );
  });
});
