import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerTrigger } from "../../src/commands/trigger.js";
import { globalProgram } from "../../src/program-global.js";
import { parseTriggerLine, type TriggerLine } from "../../src/trigger-args.js";

// The CLI's first file reads a `trigger` command line with util.parseArgs (src/trigger-args.ts) to
// start the agent's claude before commander's program loads (src/early-start.ts): what it takes
// and to hand a trigger to a running daemon without the program (src/daemon-trigger.ts): what it
// takes must be what commander makes of the same line, every option the trigger reads.

/** What commander's program makes of `args`, in parseTriggerLine's shape, or why it stopped. */
async function commanderLine(args: string[]): Promise<TriggerLine | "stopped"> {
  const program = globalProgram().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerTrigger(program);
  let line: TriggerLine | undefined;
  const trigger = program.commands.find((c) => c.name() === "trigger") as Command;
  trigger.action((agent: string, o: Record<string, unknown>, command: Command) => {
    const g = command.optsWithGlobals();
    line = {
      globals: { config: g.config, state: g.state, json: g.json, color: g.color, verbose: g.verbose },
      agent,
      request: {
        fresh: o.fresh as boolean | undefined,
        resume: o.resume as string | undefined,
        schedule: o.schedule as string | undefined,
        fork: o.fork as string | undefined,
        offline: o.offline as boolean | undefined,
      },
      run: {
        prompt: o.prompt as string | undefined,
        wait: o.wait as boolean | undefined,
        quiet: o.quiet as boolean | undefined,
        queue: o.queue as boolean,
        force: o.force as boolean | undefined,
      },
    };
  });
  try {
    await program.parseAsync(["node", "herdctl", ...args]);
  } catch {
    return "stopped";
  }
  return line ?? "stopped";
}

const TAKEN = [
  ["trigger", "reviewer"],
  ["trigger", "reviewer", "-p", "hi", "--wait", "--fresh"],
  ["-v", "--json", "trigger", "api.triager", "-p", "check the queue", "-w"],
  ["trigger", "reviewer", "--resume", "0b5a3c9e-1111-4222-8333-944455556666", "-q"],
  ["trigger", "reviewer", "-S", "nightly", "--no-queue", "--force"],
  ["trigger", "reviewer", "--schedule=nightly", "--prompt=hi"],
  ["-c", "fleet/herdctl.yaml", "-s", "/tmp/state", "trigger", "reviewer", "--offline"],
  ["trigger", "reviewer", "--fork", "job-20250101120000-ab12cd", "-p", "again"],
  ["trigger", "-p", "hi", "reviewer", "--no-color"],
];

const LEFT = [
  ["trigger"],
  ["trigger", "a", "b"],
  ["trigger", "a", "--help"],
  ["trigger", "a", "-wq"],
  ["trigger", "a", "-p", "-x"],
  ["trigger", "a", "--prompt"],
  ["trigger", "a", "--frsh"],
  ["trigger", "a", "--", "-p"],
  ["--fresh", "trigger", "a"],
  ["jobs"],
];

describe("a trigger's command line without commander", () => {
  it.each(TAKEN.map((args) => [args]))("takes %j as commander does", async (args) => {
    const own = parseTriggerLine(args);
    expect(own).toBeDefined();
    expect(own).toEqual(await commanderLine(args));
  });

  it.each(LEFT.map((args) => [args]))("leaves %j to commander", (args) => {
    expect(parseTriggerLine(args)).toBeUndefined();
  });
});
