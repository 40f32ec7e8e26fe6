import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, herdctl } from "../helpers/cli.js";
import { TmuxSession } from "../helpers/tmux.js";

// `--help` and `--version` alone are answered from text written at build time, without loading
// commander (src/quick-answers.ts); the text must be what commander itself prints, on a pipe and
// on terminals of any width.
beforeAll(assertBuilt);

describe("--help and --version without loading the program", () => {
  it("--help and -h print commander's help on a pipe, byte for byte", async () => {
    const commander = await herdctl(["help"]);
    expect(commander.code).toBe(0);
    expect(commander.stdout).toMatch(/^Usage: herdctl \[options\] \[command\]\n/);
    for (const flag of ["--help", "-h"]) {
      const quick = await herdctl([flag]);
      expect(quick).toEqual({ code: 0, stdout: commander.stdout, stderr: "" });
    }
  });

  it("--version and -V print what the program's --version prints", async () => {
    // With a second argument the program (commander) answers.
    const commander = await herdctl(["--version", "--json"]);
    expect(commander.code).toBe(0);
    expect(commander.stdout).toMatch(/^herdctl \d+\.\d+\.\d+\n@anthropic-ai\/claude-code /);
    for (const flag of ["--version", "-V"]) expect(await herdctl([flag])).toEqual(commander);
  });

  describe("on a terminal", () => {
    const tmux = new TmuxSession(`herdctl-quick-help-${process.pid}`);
    afterEach(() => tmux.kill());

    async function screenOf(args: string[], cols: number): Promise<string> {
      tmux.start(process.cwd(), [process.execPath, BIN, ...args], { cols, rows: 200 });
      const t0 = Date.now();
      // Until it exits; the deadline only turns a hang into a failure before vitest's timeout.
      while (!tmux.exited() && Date.now() - t0 < 30_000) await sleep(50);
      expect(tmux.exited()).toBe(true);
      // tmux's own line under an exited command carries the time it exited.
      const screen = tmux.screen({ history: 400 }).replace(/^Pane is dead .*$/m, "");
      tmux.kill();
      return screen.trimEnd();
    }

    // 80 and 100 columns wrap differently (files of their own), 160 wraps nothing (wide.txt),
    // 30 is narrower than any built text (commander answers).
    for (const cols of [30, 80, 100, 160]) {
      it(`--help at ${cols} columns is commander's help at that width`, async () => {
        const commander = await screenOf(["help"], cols);
        expect(commander).toContain("Usage: herdctl [options] [command]");
        expect(await screenOf(["--help"], cols)).toBe(commander);
      });
    }
  });
});
