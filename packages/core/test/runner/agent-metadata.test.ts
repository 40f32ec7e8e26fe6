import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { script, textReply, writeFile } from "@herdctl/standin";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { METADATA_MAX_BYTES, metadataBaseline, readAgentMetadata } from "../../src/runner/agent-metadata.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { Redactor } from "../../src/secrets/redactor.js";
import type { StateManager } from "../../src/state/index.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";
import { hostJobFixture } from "../helpers/job-fixture.js";

const SECRET = "svc-token-7Hq2Lm9Xw4Zp";

function notices(state: StateManager, jobId: string): string[] {
  return state
    .readJobOutput(jobId)
    .map((l) => l.message as { type: string; text?: string })
    .filter((m) => m.type === "herdctl")
    .map((m) => m.text ?? "");
}

describe.each(["cli", "sdk"])("agent metadata of real jobs with the %s runtime", (runtime) => {
  const fx = hostJobFixture();

  it("attaches what the job wrote, redacted, to the job and the hook; a file from an earlier job is not this job's", async () => {
    const { agent, workspace } = await writeFleet(
      fx.tmp.dir,
      `runtime: ${runtime}
permission_mode: acceptEdits
allowed_tools: [Bash]
env: { SERVICE_TOKEN: ${SECRET} }
hooks:
  after_run:
    - { type: shell, when: metadata.shouldNotify, command: 'cat > "notified-$HERDCTL_JOB_ID.json"' }
`,
    );
    const executor = new JobExecutor({ state: fx.state, claudePath, env: claudeEnv(fx.standin, fx.tmp.dir) });
    const run = () => executor.execute({ agent, prompt: "check", triggerType: "manual" });

    fx.standin.setResponder(
      script([
        writeFile(
          "metadata.json",
          JSON.stringify({ shouldNotify: true, note: `used ${SECRET}`, [SECRET]: 1, price: 159.99 }),
        ),
        textReply("checked"),
      ]),
    );
    const first = await run();
    const expected = { shouldNotify: true, note: "used [redacted]", "[redacted]": 1, price: 159.99 };
    expect(first).toMatchObject({ status: "completed", metadata: expected });
    expect(fx.state.jobs.get(first.id)?.metadata).toEqual(expected);
    const payload = JSON.parse(readFileSync(join(workspace, `notified-${first.id}.json`), "utf8"));
    expect(payload.metadata).toEqual(expected);
    expect(JSON.stringify(fx.state.jobs.get(first.id))).not.toContain(SECRET);

    // The next job writes nothing: metadata.json is still the first job's, so it is not this one's.
    fx.standin.setResponder(script([textReply("nothing to report")]));
    const second = await run();
    expect(second).toMatchObject({ status: "completed", metadata: null });
    expect(notices(fx.state, second.id)).toContain(
      "metadata file metadata.json was not written during this job; it is from an earlier run and was ignored",
    );
    expect(existsSync(join(workspace, `notified-${second.id}.json`))).toBe(false);

    // Rewritten, even with the same bytes, it is this job's again.
    fx.standin.setResponder(
      script([writeFile("metadata.json", JSON.stringify({ shouldNotify: false })), textReply("ok")]),
    );
    const third = await run();
    expect(third.metadata).toEqual({ shouldNotify: false });
    expect(existsSync(join(workspace, `notified-${third.id}.json`))).toBe(false);
  });
});

describe("readAgentMetadata on hostile files", () => {
  let tmp: ReturnType<typeof tempDir>;
  let wd: string;
  const read = (file = "metadata.json") =>
    readAgentMetadata(wd, file, { identity: null }, new Redactor([SECRET]));

  beforeEach(() => {
    tmp = tempDir();
    wd = join(tmp.dir, "wd");
    mkdirSync(wd);
  });
  afterEach(() => tmp.cleanup());

  it("reads a plain object and reports a missing file as absent", async () => {
    expect(await read()).toEqual({ kind: "absent" });
    writeFileSync(join(wd, "metadata.json"), '{"a":[1,{"b":null}]}');
    expect(await read()).toEqual({ kind: "read", metadata: { a: [1, { b: null }] } });
  });

  it("refuses a symlink, even to a file inside the working directory", async () => {
    writeFileSync(join(tmp.dir, "shadow"), '{"root":"$6$hash"}');
    symlinkSync(join(tmp.dir, "shadow"), join(wd, "metadata.json"));
    expect(await read()).toEqual({ kind: "refused", reason: "it is a symbolic link; write a regular file" });
  });

  it("refuses a file reached through a symlinked folder that leads out of the working directory", async () => {
    mkdirSync(join(tmp.dir, "outside"));
    writeFileSync(join(tmp.dir, "outside", "metadata.json"), '{"stolen":true}');
    symlinkSync(join(tmp.dir, "outside"), join(wd, "out"));
    expect(await read("out/metadata.json")).toEqual({
      kind: "refused",
      reason: "it lies outside the working directory",
    });
    expect(await read("../outside/metadata.json")).toEqual({
      kind: "refused",
      reason: "its path leaves the working directory",
    });
  });

  it("refuses a FIFO at once instead of waiting for a writer", async () => {
    execFileSync("mkfifo", [join(wd, "metadata.json")]);
    expect(await read()).toEqual({ kind: "refused", reason: "it is not a regular file" });
  });

  it("refuses what is too big, not JSON, not an object or too deep, without quoting it", async () => {
    const file = join(wd, "metadata.json");
    writeFileSync(file, `{"x":"${"a".repeat(METADATA_MAX_BYTES)}"}`);
    expect(await read()).toEqual({
      kind: "refused",
      reason: `it is ${METADATA_MAX_BYTES + 8} bytes; the limit is ${METADATA_MAX_BYTES} bytes`,
    });
    writeFileSync(file, `root:${SECRET}:0:0`);
    expect(await read()).toEqual({ kind: "refused", reason: "it is not valid JSON" });
    writeFileSync(file, "[1,2]");
    expect(await read()).toEqual({ kind: "refused", reason: "it holds an array, not a JSON object" });
    writeFileSync(file, '"text"');
    expect(await read()).toEqual({ kind: "refused", reason: "it holds a string, not a JSON object" });
    writeFileSync(file, `${'{"a":'.repeat(17)}1${"}".repeat(17)}`);
    expect(await read()).toEqual({ kind: "refused", reason: "it is nested deeper than 16 levels" });
    writeFileSync(file, `${'{"a":'.repeat(16)}1${"}".repeat(16)}`);
    expect((await read()).kind).toBe("read");
  });

  it("keeps a __proto__ key as data", async () => {
    writeFileSync(join(wd, "metadata.json"), '{"__proto__":{"polluted":true}}');
    const result = await read();
    expect(result.kind).toBe("read");
    const metadata = (result as { metadata: Record<string, unknown> }).metadata;
    expect(Object.keys(metadata)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((metadata as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("calls a file unchanged since the baseline stale, and a rewritten one fresh", async () => {
    const file = join(wd, "metadata.json");
    writeFileSync(file, '{"n":1}');
    const baseline = await metadataBaseline(wd, "metadata.json");
    expect(await readAgentMetadata(wd, "metadata.json", baseline)).toEqual({ kind: "stale" });
    // Another size: the file's timestamps alone may not move within one clock tick of the kernel.
    writeFileSync(file, '{"n":22}');
    expect(await readAgentMetadata(wd, "metadata.json", baseline)).toEqual({
      kind: "read",
      metadata: { n: 22 },
    });
  });
});
