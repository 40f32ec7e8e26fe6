import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { bash, type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEMORY_FILE } from "../../packages/core/src/memory/index.js";
import { JobMemory } from "../../packages/core/src/memory/job-memory.js";
import { JobExecutor } from "../../packages/core/src/runner/job-executor.js";
import { Redactor } from "../../packages/core/src/secrets/redactor.js";
import { StateManager } from "../../packages/core/src/state/index.js";
import { claudeEnv, claudePath } from "../../packages/core/test/helpers/claude-env.js";
import { tempDir, writeFleet } from "../../packages/core/test/helpers/fleet.js";

/**
 * An agent (Anthropic faked by the stand-in) that leaves a hostile memory file: a symlink to a
 * shadow-like file outside its working directory, 5 MB of notes, and a FIFO that would block a
 * naive reader. Every job completes, the notes stay as they were (or are cut to the cap), and the
 * shadow file's content never reaches the state store.
 *
 * Real jobs for the symlink (the shadow's content must reach nothing) and the FIFO (a blocking
 * read would hang the job); the 5 MB file goes through the job's memory step in-process (JobMemory,
 * as the executor calls it around a run): a refused file takes the same path whatever the reason.
 */
const SHADOW_HASH = "$6$rounds=5000$saltsalt$Mm3Qq8Zx1Vb7Nn2Ll4Kk6Jj9Hh0Gg5";
const SEED = "seeded notes\n";

let tmp: ReturnType<typeof tempDir>;
const standins: Standin[] = [];
const results: Record<string, { status: string; notices: string[]; notes: string; versions: number }> = {};

async function runCase(name: string, command: string): Promise<void> {
  const standin = await startStandin();
  standins.push(standin);
  const root = join(tmp.dir, name);
  const { agent } = await writeFleet(
    root,
    "runtime: cli\npermission_mode: acceptEdits\nallowed_tools: [Bash]\nmemory: { max_bytes: 1024 }\n",
  );
  const state = new StateManager(join(root, ".herdctl"));
  state.open();
  try {
    state.memory.save(agent.name, { content: SEED, source: "edit", actor: "test" });
    const executor = new JobExecutor({ state, claudePath, env: claudeEnv(standin, root) });
    standin.setResponder(script([bash(command), textReply(`${name} done`)]));
    const job = await executor.execute({ agent, prompt: "update your notes", triggerType: "manual" });
    results[name] = {
      status: job.status,
      notices: state
        .readJobOutput(job.id)
        .map((l) => l.message as { type: string; text?: string })
        .filter((m) => m.type === "herdctl")
        .map((m) => m.text ?? ""),
      notes: state.memory.current(agent.name)!.content,
      versions: state.memory.versions(agent.name).length,
    };
  } finally {
    state.close();
  }
}

beforeAll(async () => {
  tmp = tempDir();
  await Promise.all([
    runCase(
      "symlink",
      `printf '%s\\n' '${SHADOW_HASH}' > ../shadow && rm -f ${MEMORY_FILE} && ln -s ../shadow ${MEMORY_FILE}`,
    ),
    runCase("fifo", `rm -f ${MEMORY_FILE} && mkfifo ${MEMORY_FILE}`),
  ]);
}, 300_000);

afterAll(async () => {
  await Promise.all(standins.map((s) => s.close()));
  tmp?.cleanup();
});

describe("a hostile memory file (real claude, stand-in model)", () => {
  it("a symlink out of the working directory is not followed; the notes are unchanged", () => {
    expect(results.symlink).toMatchObject({ status: "completed", notes: SEED, versions: 1 });
    expect(results.symlink!.notices).toContain(
      `memory: ${MEMORY_FILE} ignored: it is a symbolic link; write a regular file; the notes are unchanged`,
    );
    expect(JSON.stringify(results.symlink)).not.toContain(SHADOW_HASH);
  });

  it("5 MB of notes is refused at the read limit; the notes are unchanged (the job's memory step, in-process)", async () => {
    const root = join(tmp.dir, "huge");
    const { agent } = await writeFleet(root, "runtime: cli\nmemory: { max_bytes: 1024 }\n");
    const state = new StateManager(join(root, ".herdctl"));
    state.open();
    try {
      state.memory.save(agent.name, { content: SEED, source: "edit", actor: "test" });
      const notices: string[] = [];
      const memory = JobMemory.for(
        agent,
        { state, redactor: new Redactor([]), notice: (text) => notices.push(text) },
        { writeBack: true },
      )!;
      await memory.prepare();
      writeFileSync(join(agent.working_directory, MEMORY_FILE), Buffer.alloc(5_000_000, "a"));
      await memory.collect("job-huge");
      expect(notices).toContain(
        `memory: ${MEMORY_FILE} ignored: it is over 4194304 bytes; the notes are unchanged`,
      );
      expect(state.memory.current(agent.name)!.content).toBe(SEED);
      expect(state.memory.versions(agent.name)).toHaveLength(1);
    } finally {
      state.close();
    }
  });

  it("a FIFO does not hang the job", () => {
    expect(results.fifo).toMatchObject({ status: "completed", notes: SEED, versions: 1 });
    expect(results.fifo!.notices).toContain(
      `memory: ${MEMORY_FILE} ignored: it is not a regular file; the notes are unchanged`,
    );
  });
});
