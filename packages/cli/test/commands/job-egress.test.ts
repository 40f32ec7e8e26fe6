import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, type TriggeredJob, tempDir, triggerOffline } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;
let job: TriggeredJob;

const EGRESS = [
  { host: "registry.npmjs.org", port: 443, allowed: true, connections: 3, bytesUp: 1200, bytesDown: 88000 },
  {
    host: "paste.example",
    port: 443,
    allowed: false,
    connections: 2,
    bytesUp: 0,
    bytesDown: 0,
    reason: "not in docker.egress.allow",
  },
];

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir());
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: egressfleet }\ndefaults: { permission_mode: acceptEdits, runtime: cli }\n" +
      "agents:\n  - path: ./agents/fetcher.yaml\n",
  );
  await writeFile(join(dir, "agents", "fetcher.yaml"), "name: fetcher\nworking_directory: ../workspace\n");
  job = await triggerOffline(dir, "fetcher", "@standin text fetched");
  // What the executor stores from the egress proxy's log for a proxy-only job.
  const state = new StateManager(join(dir, ".herdctl"));
  state.open();
  state.jobs.update(job.id, { egress: EGRESS });
  state.close();
});
afterAll(() => remove());

describe("herdctl job shows the job's network egress", () => {
  it("in the human view, refusals first, and in --json", async () => {
    const human = await herdctl(["job", job.id], { cwd: dir });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(
      "Network egress (through herdctl's proxy):\n" +
        "  paste.example:443  refused, 2 connections\n" +
        "  registry.npmjs.org:443  allowed, 3 connections, 1200 B sent, 88000 B received\n",
    );
    const doc = json<{ job: { egress: unknown } }>(await herdctl(["--json", "job", job.id], { cwd: dir }));
    expect(doc.job.egress).toEqual(EGRESS);
  });
});
