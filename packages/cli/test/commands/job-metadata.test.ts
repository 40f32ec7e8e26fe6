import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, type TriggeredJob, tempDir, triggerOffline } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;
let job: TriggeredJob;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir());
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: metafleet }\ndefaults: { permission_mode: acceptEdits, runtime: cli }\n" +
      "agents:\n  - path: ./agents/checker.yaml\n",
  );
  // The reference herdctl's keys, as its docs write them.
  await writeFile(
    join(dir, "agents", "checker.yaml"),
    "name: checker\nworking_directory: ../workspace\nmetadata_file: metadata.json\n" +
      "schedules:\n  check: { type: interval, interval: 4h, outputToFile: true }\n",
  );
  job = await triggerOffline(
    dir,
    "checker",
    '@standin write metadata.json {"shouldNotify": true, "retailer": "Staples"}\n@standin text Price checked',
  );
});
afterAll(() => remove());

describe("herdctl job shows the agent's metadata", () => {
  it("validates the reference keys without a warning", async () => {
    const r = await herdctl(["config", "validate"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/metadata_file|outputToFile|not supported/);
  });

  it("in the human view and in --json", async () => {
    expect(job.status).toBe("completed");
    expect(JSON.parse(await readFile(join(dir, "workspace", "metadata.json"), "utf8"))).toEqual({
      shouldNotify: true,
      retailer: "Staples",
    });
    const human = await herdctl(["job", job.id], { cwd: dir });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(
      'Metadata (written by the agent):\n  {\n    "shouldNotify": true,\n    "retailer": "Staples"\n  }\n',
    );
    const doc = json<{ job: { metadata: unknown } }>(await herdctl(["--json", "job", job.id], { cwd: dir }));
    expect(doc.job.metadata).toEqual({ shouldNotify: true, retailer: "Staples" });
  });
});
