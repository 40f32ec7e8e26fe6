import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerJob } from "../../src/commands/job.js";
import { registerJobs } from "../../src/commands/jobs.js";
import { registerStatus } from "../../src/commands/status.js";
import { globalProgram } from "../../src/program-global.js";
import { parseQuery, type QueryCall } from "../../src/query-args.js";

// query.cjs reads `status`, `jobs` and `job` command lines with util.parseArgs (src/query-args.ts)
// and leaves the rest to commander's program: what it takes must be what commander makes of the
// same line, and what commander would refuse or answer otherwise (help, an error) it must leave.

/** What commander's program makes of `args`: the same shape as parseQuery's, or why it stopped. */
async function commanderCall(args: string[]): Promise<QueryCall | "stopped"> {
  const program = globalProgram().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerStatus(program);
  registerJobs(program);
  registerJob(program);
  let call: QueryCall | undefined;
  const globalsOf = (command: Command) => {
    const o = command.optsWithGlobals();
    return { config: o.config, state: o.state, json: o.json, color: o.color, verbose: o.verbose };
  };
  const sub = (name: string) => program.commands.find((c) => c.name() === name) as Command;
  sub("status").action((agent, _o, command: Command) => {
    call = { command: "status", agent, globals: globalsOf(command) };
  });
  sub("jobs").action((o, command: Command) => {
    const { agent, status, limit, since, before } = o;
    call = { command: "jobs", options: { agent, status, limit, since, before }, globals: globalsOf(command) };
  });
  sub("job").action((id, o, command: Command) => {
    call = { command: "job", id, options: { logs: o.logs }, globals: globalsOf(command) };
  });
  try {
    await program.parseAsync(["node", "herdctl", ...args]);
  } catch {
    return "stopped";
  }
  return call ?? "stopped";
}

const TAKEN = [
  ["jobs"],
  ["status"],
  ["status", "reviewer"],
  ["job", "job-20250101120000-ab12cd"],
  ["job", "job-20250101120000-ab12cd", "--logs", "--json"],
  ["--json", "jobs", "--limit", "5", "--agent", "a", "-S", "failed,cancelled"],
  ["jobs", "-l", "3", "--since", "2h", "--before", "job-20250101120000-ab12cd", "--no-color"],
  ["-c", "fleet/herdctl.yaml", "-s", "/tmp/state", "status", "-v"],
  ["--config=x.yaml", "jobs", "--state=/s", "--limit=7"],
  ["-v", "job", "--logs", "job-20250101120000-ab12cd", "-c", "jobs"],
  ["jobs", "--limit", ""],
  ["status", "--json", "--json"],
];

const LEFT = [
  ["jobs", "--help"],
  ["status", "-h"],
  ["jobs", "-V"],
  ["jobs", "--limt", "3"],
  ["jobs", "extra"],
  ["job"],
  ["job", "a", "b"],
  ["status", "a", "b"],
  ["--limit", "3", "jobs"],
  ["jobs", "-l5"],
  ["-vc", "x", "jobs"],
  ["jobs", "--", "x"],
  ["jobs", "--limit", "-3"],
  ["jobs", "--json=yes"],
  ["jobs", "--color"],
  ["status", "--logs"],
  ["job", "job-20250101120000-ab12cd", "--limit", "3"],
  ["-c"],
  ["trigger", "a"],
  ["help", "jobs"],
];

describe("the query commands' command line without commander", () => {
  it.each(TAKEN.map((args) => [args]))("takes %j as commander does", async (args) => {
    const own = parseQuery(args);
    expect(own).toBeDefined();
    expect(own).toEqual(await commanderCall(args));
  });

  it.each(LEFT.map((args) => [args]))("leaves %j to commander", (args) => {
    expect(parseQuery(args)).toBeUndefined();
  });

  it("leaves to commander every line commander would stop at", async () => {
    for (const args of LEFT) {
      const call = await commanderCall(args);
      if (call === "stopped") continue;
      // A line commander takes but parseQuery leaves costs only time (commander answers it).
      expect(call.command).toMatch(/^(status|jobs|job)$/);
    }
    expect(await commanderCall(["jobs", "--limt", "3"])).toBe("stopped");
  });
});
