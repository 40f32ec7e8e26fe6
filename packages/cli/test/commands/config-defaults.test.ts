import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, tempDir } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;

beforeAll(() => assertBuilt());
beforeEach(async () => {
  ({ dir, remove } = await tempDir("herdctl-defaults-"));
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace", ".claude"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: defaults }\nagents:\n  - path: ./agents/plain.yaml\n  - path: ./agents/scripted.yaml\n",
  );
  await writeFile(join(dir, "agents", "plain.yaml"), "name: plain\nworking_directory: ../workspace\n");
  await writeFile(
    join(dir, "agents", "scripted.yaml"),
    "name: scripted\nruntime: cli\nworking_directory: ../workspace\n",
  );
});
afterEach(() => remove());

describe("defaults an agent gets without writing them", () => {
  it("config show lists acceptEdits and the project's settings", async () => {
    const shown = await herdctl(["config", "show"], { cwd: dir });
    expect(shown.code).toBe(0);
    const plain = shown.stdout.slice(shown.stdout.indexOf("name: plain"));
    expect(plain).toMatch(/\n\s+permission_mode: acceptEdits\n/);
    expect(plain).toMatch(/\n\s+setting_sources:\n\s+- project\n/);
  });

  it("config validate says where a CLI agent would load fewer settings files than in the reference herdctl", async () => {
    const quiet = await herdctl(["config", "validate"], { cwd: dir });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");

    const local = join(dir, "workspace", ".claude", "settings.local.json");
    await writeFile(local, "{}\n");
    const r = await herdctl(["config", "validate"], { cwd: dir });
    expect(r.code).toBe(0);
    // Only the CLI agent: the reference's SDK runtime made the same choice as ours.
    expect(r.stderr.trim().split("\n")).toEqual([
      `warning: agents/scripted.yaml:2:10 runtime: the reference herdctl's CLI runtime would load ${local}; ` +
        "herdctl does not: without setting_sources both runtimes load [project] for this agent",
    ]);
  });
});
