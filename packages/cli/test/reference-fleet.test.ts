import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../../core/test/hooks/receiver.js";
import { assertBuilt, herdctl, json, type TriggeredJob, tempDir } from "./helpers/cli.js";

// A fleet written only with keys the reference herdctl documents, the way its docs write them,
// run offline by the built binary under both runtimes. It relies on the reference's defaults: no
// permission_mode (the agent must still write its metadata file unattended), no setting_sources,
// no system_prompt. What it checks is what the reference documents: the plugin's command runs, the
// metadata file reaches the job and the hook, the hook payload has the reference's shape and
// passes its `when`, and outputToFile writes the job's log.

const SCHEMA = JSON.parse(
  await readFile(new URL("../../../docs/hook-payload.schema.json", import.meta.url), "utf8"),
) as object;
const validatePayload = new Ajv2020({ strict: true, allErrors: true }).compile(SCHEMA);

const AGENTS = { "price-sdk": "sdk", "price-cli": "cli" } as const;
const METADATA = { shouldNotify: true, lowestPrice: 149, retailer: "Staples" };

let dir: string;
let remove: () => Promise<void>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const jobs = new Map<string, TriggeredJob>();

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-reference-"));
  receiver = await startReceiver([{ status: 200 }]);

  // A local plugin whose command scripts the stand-in: the stand-in only acts on these lines if
  // claude expanded /herald:report into the command's text.
  const plugin = join(dir, "plugins", "herald");
  await mkdir(join(plugin, ".claude-plugin"), { recursive: true });
  await mkdir(join(plugin, "commands"), { recursive: true });
  await writeFile(
    join(plugin, ".claude-plugin", "plugin.json"),
    '{ "name": "herald", "version": "1.0.0" }\n',
  );
  await writeFile(
    join(plugin, "commands", "report.md"),
    [
      "---",
      "description: Check the price and report it",
      "---",
      `@standin write metadata.json ${JSON.stringify({ ...METADATA, retailer: "$ARGUMENTS" })}`,
      "@standin text HERALD checked the price at $ARGUMENTS",
      "",
    ].join("\n"),
  );

  await mkdir(join(dir, "agents"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    [
      "version: 1",
      "fleet:",
      "  name: price-watch",
      "  description: Written from the reference herdctl's documented keys",
      "defaults:",
      "  model: claude-sonnet-4-5",
      "  max_turns: 10",
      "  plugins:",
      "    - ./plugins/herald",
      "  permissions:",
      "    allowed_tools: [Read, Glob, Grep]",
      "agents:",
      ...Object.keys(AGENTS).map((name) => `  - path: ./agents/${name}.yaml`),
      "",
    ].join("\n"),
  );
  for (const [name, runtime] of Object.entries(AGENTS)) {
    await mkdir(join(dir, name), { recursive: true });
    await writeFile(
      join(dir, "agents", `${name}.yaml`),
      [
        `name: ${name}`,
        "description: Checks a price and says when to buy",
        `runtime: ${runtime}`,
        `working_directory: ../${name}`,
        "metadata_file: metadata.json",
        "schedules:",
        "  check:",
        "    type: interval",
        "    interval: 4h",
        "    prompt: /herald:report Staples",
        "    outputToFile: true",
        "hooks:",
        "  after_run:",
        "    - type: webhook",
        "      name: notify",
        `      url: ${receiver.url}/hook/${name}`,
        '      when: "metadata.shouldNotify && metadata.lowestPrice < 200"',
        "",
      ].join("\n"),
    );
  }

  // One agent after the other: the stand-in is per process, and each trigger starts its own.
  for (const name of Object.keys(AGENTS)) {
    const r = await herdctl(["--json", "trigger", name, "--offline", "--wait", "--schedule", "check"], {
      cwd: dir,
      timeoutMs: 180_000,
    });
    if (r.code !== 0) throw new Error(`trigger ${name} failed (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    jobs.set(name, json<TriggeredJob>(r));
  }
}, 400_000);

afterAll(async () => {
  await receiver?.close();
  await remove?.();
});

describe("a fleet written for the reference herdctl", () => {
  it("validates without a single warning", async () => {
    const r = await herdctl(["config", "validate"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
  });

  describe.each(Object.entries(AGENTS))("%s (%s runtime)", (name) => {
    it("runs the plugin's command and writes the metadata file unattended (acceptEdits by default)", async () => {
      expect(jobs.get(name)?.status).toBe("completed");
      const written = JSON.parse(await readFile(join(dir, name, "metadata.json"), "utf8"));
      expect(written).toEqual(METADATA);
    });

    it("records the metadata on the job", async () => {
      const id = jobs.get(name)!.id;
      const doc = json<{ job: { metadata: unknown; summary?: string } }>(
        await herdctl(["--json", "job", id], { cwd: dir }),
      );
      expect(doc.job.metadata).toEqual(METADATA);
    });

    it("sends the hook the reference's payload, and its when: on metadata passes", () => {
      const id = jobs.get(name)!.id;
      const hits = receiver.received.filter((r) => r.path === `/hook/${name}`);
      expect(hits).toHaveLength(1);
      const payload = JSON.parse(hits[0]!.body);
      expect(validatePayload(payload), JSON.stringify(validatePayload.errors)).toBe(true);
      expect(payload).toMatchObject({
        event: "completed",
        job: { id, agentId: name, scheduleName: "check" },
        result: { success: true, output: "HERALD checked the price at Staples" },
        agent: { id: name, name },
        metadata: METADATA,
      });
      expect(Date.parse(payload.job.completedAt)).toBeGreaterThanOrEqual(Date.parse(payload.job.startedAt));
      expect(payload.job.durationMs).toBe(
        Date.parse(payload.job.completedAt) - Date.parse(payload.job.startedAt),
      );
    });

    it("writes the job's output to .herdctl/jobs/<id>/output.log (outputToFile)", async () => {
      const log = join(dir, ".herdctl", "jobs", jobs.get(name)!.id, "output.log");
      expect(existsSync(log), log).toBe(true);
      expect(await readFile(log, "utf8")).toMatch(
        /^\[[0-9T:.-]+Z\] \[ASSISTANT\] HERALD checked the price at Staples$/m,
      );
    });
  });
});
