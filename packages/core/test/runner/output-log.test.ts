import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { script, textReply, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { formatOutputLog, outputLogPath } from "../../src/runner/output-log.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { hostJobFixture } from "../helpers/job-fixture.js";

const STAMP = String.raw`\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\]`;

describe("outputToFile with a real job", () => {
  const fx = hostJobFixture();

  const setup = async () => {
    const { agent } = await writeFleet(
      fx.tmp.dir,
      `runtime: cli
permission_mode: acceptEdits
env: { REPORT_TOKEN: tok-9Vb2Nm4Lk6Jh }
schedules:
  nightly: { type: interval, interval: 1h, outputToFile: true }
  hourly: { type: interval, interval: 1h }
`,
    );
    const executor = new JobExecutor({ state: fx.state, claudePath, env: claudeEnv(fx.standin, fx.tmp.dir) });
    return { agent, executor };
  };

  it("writes the schedule's job output as plain lines to jobs/<id>/output.log, secrets redacted", async () => {
    const { agent, executor } = await setup();
    fx.standin.setResponder(
      script([writeFile("report.md", "# Report\n"), textReply("Report written with tok-9Vb2Nm4Lk6Jh")]),
    );
    const job = await executor.execute({
      agent,
      prompt: "report",
      triggerType: "schedule",
      schedule: "nightly",
    });
    expect(job.status).toBe("completed");
    const path = outputLogPath(fx.state.jobsDir, job.id);
    expect(path).toBe(join(fx.tmp.dir, ".herdctl", "jobs", job.id, "output.log"));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^${STAMP} \\[SYSTEM\\] session [0-9a-f-]+ started, model `));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${STAMP} \\[TOOL\\] Write \\{"file_path":`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${STAMP} \\[TOOL_RESULT\\] \\(OK\\) `)));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${STAMP} \\[ASSISTANT\\] Report written with \\[redacted\\]$`)),
    );
    expect(lines.at(-1)).toMatch(new RegExp(`^${STAMP} \\[SYSTEM\\] finished after 2 turns$`));

    // Other schedules and manual triggers write no such file.
    fx.standin.setResponder(script([textReply("quiet")]));
    const hourly = await executor.execute({
      agent,
      prompt: "x",
      triggerType: "schedule",
      schedule: "hourly",
    });
    const manual = await executor.execute({ agent, prompt: "x", triggerType: "manual" });
    for (const other of [hourly, manual]) expect(existsSync(join(fx.state.jobsDir, other.id))).toBe(false);
  });

  it("never writes through a link planted at the log's path or folder; the job still runs", async () => {
    const { agent, executor } = await setup();
    const victim = join(fx.tmp.dir, "victim.txt");
    writeFileSync(victim, "untouched\n");
    const elsewhere = join(fx.tmp.dir, "elsewhere");
    mkdirSync(elsewhere);

    for (const plant of ["file", "folder"] as const) {
      fx.standin.setResponder(script([textReply(`done ${plant}`)]));
      const request = { agent, prompt: "x", triggerType: "schedule" as const, schedule: "nightly" };
      const queued = executor.enqueue(request);
      if (plant === "file") {
        mkdirSync(join(fx.state.jobsDir, queued.id));
        symlinkSync(victim, outputLogPath(fx.state.jobsDir, queued.id));
      } else {
        symlinkSync(elsewhere, join(fx.state.jobsDir, queued.id));
      }
      const job = await executor.run(queued.id, request);
      expect(job).toMatchObject({ status: "completed", summary: `done ${plant}` });
      const texts = fx.state
        .readJobOutput(job.id)
        .map((l) => l.message as { type: string; text?: string })
        .filter((m) => m.type === "herdctl")
        .map((m) => m.text);
      expect(texts).toContainEqual(
        expect.stringMatching(
          /^outputToFile: the output log could not be created \(.+\); the job runs without it$/,
        ),
      );
    }
    expect(readFileSync(victim, "utf8")).toBe("untouched\n");
    expect(lstatSync(join(elsewhere)).isDirectory()).toBe(true);
    expect(existsSync(join(elsewhere, "output.log"))).toBe(false);
  });
});

describe("formatOutputLog", () => {
  const at = new Date("2025-01-02T03:04:05.678Z");
  it("writes the reference's [time] [KIND] text lines and skips what says nothing", () => {
    expect(
      formatOutputLog(
        {
          type: "user",
          message: {
            content: [{ type: "tool_result", content: [{ type: "text", text: "no" }], is_error: true }],
          },
        },
        at,
      ),
    ).toEqual(["[2025-01-02T03:04:05.678Z] [TOOL_RESULT] (FAILED) no"]);
    expect(
      formatOutputLog(
        { type: "result", subtype: "error_max_turns", is_error: true, errors: ["too many"] },
        at,
      ),
    ).toEqual(["[2025-01-02T03:04:05.678Z] [ERROR] error_max_turns: too many"]);
    expect(formatOutputLog({ type: "herdctl", subtype: "notice", text: "resuming" }, at)).toEqual([
      "[2025-01-02T03:04:05.678Z] [SYSTEM] resuming",
    ]);
    expect(formatOutputLog({ type: "stream_event" }, at)).toEqual([]);
    expect(formatOutputLog("not a message", at)).toEqual([]);
  });
});
