import { join } from "node:path";
import { bash, script, textReply, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { describeToolFailures, ToolFailureLog } from "../../src/runner/tool-failures.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { hostJobFixture } from "../helpers/job-fixture.js";

describe("tool permission failures", () => {
  it("reads system permission errors from tool results and claude's denials, one entry per call", () => {
    const log = new ToolFailureLog();
    log.toolUse("a", "Write", { file_path: "/workspace/x", content: "hi" });
    log.toolUse("b", "Bash", { command: "touch /workspace/y" });
    log.toolUse("c", "Bash", { command: "mount -o remount /" });
    log.toolUse("d", "Read", { file_path: "/workspace/missing" });
    log.toolUse("e", "Edit", { file_path: "/etc/passwd" });
    log.toolResult("a", "EACCES: permission denied, open '/workspace/x'", true);
    log.toolResult(
      "b",
      [{ type: "text", text: "touch: cannot touch '/workspace/y': Permission denied" }],
      true,
    );
    log.toolResult("c", "mount: /: Read-only file system.", true);
    log.toolResult("d", "File does not exist.", true);
    log.denied("e", "Edit");
    log.toolResult(
      "e",
      "Claude requested permissions to edit /etc/passwd, but you haven't granted it yet.",
      true,
    );
    expect(log.list).toEqual([
      { tool: "Write", target: "/workspace/x", reason: "EACCES" },
      { tool: "Bash", target: "touch /workspace/y", reason: "permission denied" },
      { tool: "Bash", target: "mount -o remount /", reason: "EROFS" },
      { tool: "Edit", target: "/etc/passwd", reason: "denied" },
    ]);
    expect(describeToolFailures(log.list.slice(0, 1))).toBe(
      "1 tool call was refused: Write /workspace/x (EACCES)",
    );
    expect(describeToolFailures([log.list[0]!, log.list[3]!])).toBe(
      "2 tool calls were refused: Write /workspace/x (EACCES), Edit /etc/passwd (denied)",
    );
  });
});

describe.each(["cli", "sdk"])("tool permission failures on the host with the %s runtime", (runtime) => {
  const fx = hostJobFixture();

  it("records claude's permission denials on the job, whose status stays completed", async () => {
    // permission_mode default with nothing allowed: headless claude refuses every edit and Bash.
    const { agent, workspace } = await writeFleet(
      fx.tmp.dir,
      `runtime: ${runtime}\npermission_mode: default\n`,
    );
    fx.standin.setResponder(
      script([writeFile("notes.txt", "hello"), bash("rm -rf build"), textReply("could not write")]),
    );
    const executor = new JobExecutor({ state: fx.state, claudePath, env: claudeEnv(fx.standin, fx.tmp.dir) });
    const job = await executor.execute({ agent, prompt: "write the notes", triggerType: "manual" });
    expect(job.status).toBe("completed");
    expect(job.toolFailures).toEqual([
      // claude reports the path it resolved against the working directory.
      { tool: "Write", target: join(workspace, "notes.txt"), reason: "denied" },
      { tool: "Bash", target: "rm -rf build", reason: "denied" },
    ]);
    expect(fx.state.jobs.require(job.id).toolFailures).toEqual(job.toolFailures);
  });
});
