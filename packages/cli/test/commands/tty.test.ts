import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, tempDir, writeFleet } from "../helpers/cli.js";
import { TmuxSession } from "../helpers/tmux.js";

// A real terminal: tmux gives the binary a pty, so colour and the live stream are what a person sees.
const session = `herdctl-tty-${process.pid}`;
let dir: string;
let remove: () => Promise<void>;

const tmux = new TmuxSession(session);
const capture = () => tmux.screen({ colour: true, history: 200 });

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-tty-"));
  await writeFleet(dir);
});
afterAll(async () => {
  tmux.kill();
  await remove();
});

describe("trigger --wait on a terminal", () => {
  it("streams the reply live, in colour", async () => {
    // Three tool turns, each reply held back 1.5 s by the stand-in: after the first tool call
    // shows, the job runs at least 3 s more, so even a slow capture sees it mid-job.
    const prompt = "Say hello.\n@standin turns 3\n@standin delay 1500";
    tmux.start(
      dir,
      [
        "env",
        "-u",
        "NO_COLOR",
        "-u",
        "FORCE_COLOR",
        "TERM=xterm-256color",
        process.execPath,
        BIN,
        "trigger",
        "greeter",
        "--offline",
        "--wait",
        "-p",
        prompt,
      ],
      { cols: 200, rows: 50 },
      ["TERM=xterm-256color"],
    );
    const seen: string[] = [];
    let done = false;
    const t0 = Date.now();
    // Until the job ends; the deadline only turns a hang into a failure before vitest's timeout.
    while (!done && Date.now() - t0 < 100_000) {
      await sleep(100);
      const screen = capture();
      seen.push(screen);
      done = /job job-\S+ .*completed/.test(screen.replace(/\u001b\[[0-9;]*m/g, ""));
    }
    expect(done).toBe(true);
    const final = seen.at(-1)!;
    // Colour: the magenta offline banner and the green "completed".
    expect(final).toMatch(/\u001b\[35m(\u001b\[[0-9;]*m)*OFFLINE/);
    expect(final).toMatch(/\u001b\[32m(\u001b\[[0-9;]*m)*completed/);
    // Tool calls are cyan.
    // tmux re-emits attributes as it likes (e.g. ESC[36mESC[49m), so allow other codes in between.
    expect(final).toMatch(/\u001b\[36m(\u001b\[[0-9;]*m)*→ Bash/);
    // Live: a tool call was on screen while the job was still running.
    const plain = seen.map((s) => s.replace(/\u001b\[[0-9;]*m/g, ""));
    const midJob = plain.filter((s) => s.includes("→ Bash") && !/job job-\S+ .*completed/.test(s));
    expect(midJob.length).toBeGreaterThan(0);
  });
});
