import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bash, type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeMetadataRead,
  metadataBaseline,
  readAgentMetadata,
} from "../../packages/core/src/runner/agent-metadata.js";
import { JobExecutor } from "../../packages/core/src/runner/job-executor.js";
import { StateManager } from "../../packages/core/src/state/index.js";
import type { JobRecord } from "../../packages/core/src/state/job-record.js";
import { claudeEnv, claudePath } from "../../packages/core/test/helpers/claude-env.js";
import { tempDir, writeFleet } from "../../packages/core/test/helpers/fleet.js";

/**
 * An agent that writes a hostile metadata file: 50 MB of it, a symlink to a shadow-like file
 * outside its working directory (valid JSON, so only the link check stands in the way), text that
 * is not JSON, a FIFO that would block a naive reader, and a folder symlinked out of the working
 * directory. Every job must still complete (a blocking read of the FIFO would hang this suite),
 * with a notice instead of metadata, and the shadow file's content must reach neither the job
 * record, its output, nor a hook.
 *
 * Real jobs (a claude conversation each) for the two whose harm shows only in a job: the link to
 * the shadow file (its content must not leak anywhere) and the FIFO (a blocking read would hang the
 * job). A refused file takes the same path through the job whatever the refusal, so the other three
 * are read as the executor reads them after a run, in-process, with the notice the job would print.
 */
const SHADOW_HASH = "$6$rounds=5000$saltsalt$Zq7Xw9Vb2Nm4Lk6Jh8Gf0Ds1Ap3Oi5";

let tmp: ReturnType<typeof tempDir>;
const standins: Standin[] = [];
const jobs: Record<string, JobRecord & { notices: string[] }> = {};

/** Runs one hostile agent in its own fleet, state and stand-in, so the cases can run at once. */
async function runCase(name: string, command: string, file?: string): Promise<void> {
  const standin = await startStandin();
  standins.push(standin);
  const { agent } = await writeFleet(
    join(tmp.dir, name),
    `runtime: cli
permission_mode: acceptEdits
allowed_tools: [Bash]
${file ? `metadata_file: ${file}\n` : ""}hooks:
  after_run:
    - { type: shell, command: 'cat > ../hook-payload.json' }
`,
  );
  const state = new StateManager(join(tmp.dir, name, ".herdctl"));
  state.open();
  try {
    const executor = new JobExecutor({ state, claudePath, env: claudeEnv(standin, join(tmp.dir, name)) });
    standin.setResponder(script([bash(command), textReply(`${name} done`)]));
    const job = await executor.execute({ agent, prompt: "write your metadata", triggerType: "manual" });
    const notices = state
      .readJobOutput(job.id)
      .map((l) => l.message as { type: string; text?: string })
      .filter((m) => m.type === "herdctl")
      .map((m) => m.text ?? "");
    jobs[name] = { ...job, notices };
  } finally {
    state.close();
  }
}

beforeAll(async () => {
  tmp = tempDir("herdctl-faults-metadata-");
  const shadow = join(tmp.dir, "shadow");
  writeFileSync(shadow, JSON.stringify({ root: SHADOW_HASH }), { mode: 0o600 });
  await Promise.all([
    runCase("symlink", `rm -f metadata.json && ln -s ${shadow} metadata.json`),
    runCase("fifo", "rm -f metadata.json && mkfifo metadata.json"),
  ]);
  // Two claude processes on a shared two-core machine: give them room.
}, 600_000);
afterAll(async () => {
  await Promise.all(standins.map((s) => s.close()));
  tmp?.cleanup();
});

describe("a hostile metadata file", () => {
  it.each([
    ["symlink", "metadata file metadata.json ignored: it is a symbolic link; write a regular file"],
    ["fifo", "metadata file metadata.json ignored: it is not a regular file"],
  ])("%s: the job completes, with a notice and no metadata", (name, notice) => {
    const job = jobs[name]!;
    expect(job).toMatchObject({ status: "completed", summary: `${name} done`, metadata: null });
    expect(job.notices).toContain(notice);
    const payload = JSON.parse(readFileSync(join(tmp.dir, name, "hook-payload.json"), "utf8"));
    expect(payload).not.toHaveProperty("metadata");
  });

  it.each([
    [
      "huge",
      "metadata.json",
      (wd: string) => writeFileSync(join(wd, "metadata.json"), Buffer.alloc(50_000_000, "a")),
      "metadata file metadata.json ignored: it is 50000000 bytes; the limit is 65536 bytes",
    ],
    [
      "notJson",
      "metadata.json",
      (wd: string) => writeFileSync(join(wd, "metadata.json"), "root:x:0:0:root:/root:/bin/bash"),
      "metadata file metadata.json ignored: it is not valid JSON",
    ],
    [
      "escape",
      "out/metadata.json",
      (wd: string) => {
        const outside = join(tmp.dir, "outside-escape");
        mkdirSync(outside);
        writeFileSync(join(outside, "metadata.json"), '{"stolen":true}');
        symlinkSync(outside, join(wd, "out"));
      },
      "metadata file out/metadata.json ignored: it lies outside the working directory",
    ],
  ])(
    "%s: refused after the run, with the notice the job prints (read in-process)",
    async (name, file, write, notice) => {
      const wd = join(tmp.dir, name);
      mkdirSync(wd);
      const baseline = await metadataBaseline(wd, file);
      write(wd);
      const read = await readAgentMetadata(wd, file, baseline);
      expect(read.kind).toBe("refused");
      expect(describeMetadataRead(file, read)).toBe(notice);
    },
  );

  it("never lets the linked file's content into the record, the output or a hook", () => {
    for (const name of Object.keys(jobs)) {
      const dir = join(tmp.dir, name);
      const files = [
        join(dir, "hook-payload.json"),
        ...readdirSync(join(dir, ".herdctl"), { recursive: true, encoding: "utf8" })
          .map((f) => join(dir, ".herdctl", f))
          .filter((f) => statSync(f).isFile()),
      ];
      for (const file of files) expect(readFileSync(file, "latin1"), file).not.toContain(SHADOW_HASH);
    }
  });
});
