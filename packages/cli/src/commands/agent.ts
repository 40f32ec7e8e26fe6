import type { AgentDetails, AgentReach, EnvNeed, JobRecord } from "@herdctl/core/internal";
import type { Command } from "commander";
import type { CommandContext } from "../context.js";

// Everything heavy is imported inside the actions, so registering the command costs nothing.

interface AddOptions {
  path?: string;
  name?: string;
}

export function registerAgent(program: Command): void {
  const agent = program
    .command("agent")
    .description("install agents from git repositories, and list, describe and remove agents");

  agent
    .command("add")
    .description("install an agent from a git repository into agents/<name>/ and add it to the fleet file")
    .argument("<source>", "github:owner/repo[#ref], a git URL[#ref], or a local path / file:// URL[#ref]")
    .option("--path <folder>", "the agent's folder inside the repository (default: its root)")
    .option("--name <name>", "install under this name instead of the one in its agent.yaml")
    .action(async (source: string, options: AddOptions, command: Command) => {
      await add(await context(command), source, options);
    });

  agent
    .command("list")
    .alias("ls")
    .description("the fleet's agents, with where each was installed from")
    .action(async (_options: unknown, command: Command) => {
      await list(await context(command));
    });

  agent
    .command("info")
    .description("one agent: source, schedules, the environment variables it needs, its last jobs")
    .argument("<name>", "agent name")
    .action(async (name: string, _options: unknown, command: Command) => {
      await info(await context(command), name);
    });

  agent
    .command("remove")
    .alias("rm")
    .description("take an agent out of the fleet file and delete the folder agent add made for it")
    .argument("<name>", "agent name")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--keep-files", "keep agents/<name>/ on disk")
    .action(async (name: string, options: { yes?: boolean; keepFiles?: boolean }, command: Command) => {
      await remove(await context(command), name, options);
    });
}

async function context(command: Command): Promise<CommandContext> {
  const { CommandContext } = await import("../context.js");
  return new CommandContext(command.optsWithGlobals());
}

async function add(ctx: CommandContext, source: string, options: AddOptions): Promise<void> {
  const { installAgent } = await import("@herdctl/core/internal");
  const { relative } = await import("node:path");
  const loaded = await ctx.fleet();
  const result = await installAgent(loaded, {
    source,
    cwd: ctx.cwd,
    path: options.path,
    name: options.name,
  }).catch(rethrowForUser);
  const daemon = await daemonPickup(ctx, (names) => names.includes(result.name));
  const missing = result.env.filter((e) => !e.set && !e.hasDefault);
  if (ctx.json) return ctx.printJson({ ...result, daemon });

  const s = ctx.out;
  const at = result.record.ref ? `${result.record.source}#${result.record.ref}` : result.record.source;
  ctx.print(
    `${s.green("installed")} agent ${s.bold(result.name)} from ${at} (commit ${result.record.commit.slice(0, 12)})`,
  );
  ctx.print(`  files:     ${relative(ctx.cwd, result.dir) || result.dir}/`);
  ctx.print(`  fleet:     added "- path: ${result.entry}" to ${relative(ctx.cwd, loaded.configPath)}`);
  printReach(ctx, result.reach);
  for (const w of result.warnings)
    ctx.warn(`${w.file}${w.line > 0 ? `:${w.line}:${w.col}` : ""} ${w.path}: ${w.message}`);
  if (result.env.length > 0) {
    ctx.print("  environment variables it refers to:");
    ctx.print(envTable(ctx, result.env));
  }
  if (missing.length > 0)
    ctx.print(
      `${s.yellow("set before running it:")} ${missing.map((m) => m.name).join(", ")} ` +
        `(export them, or add NAME=value lines to ${relative(ctx.cwd, `${loaded.rootDir}/.env`)}): ` +
        "its files expect them when it runs",
    );
  ctx.print(daemonLine(ctx, daemon, `agent ${result.name} is in the running fleet, its schedules live`));
}

/** What the operator is letting in: shown before anything else can start it. */
function printReach(ctx: CommandContext, r: AgentReach): void {
  const s = ctx.out;
  const list = (items: string[]) => (items.length > 0 ? items.join(", ") : "none");
  ctx.print(
    `  schedules: ${r.schedules.length > 0 ? r.schedules.join(", ") : "none (it runs when triggered)"}`,
  );
  ctx.print(
    `  works in:  ${r.workingDirectory}${r.ownFolder ? " (its own folder)" : s.yellow(" (outside its own folder)")}`,
  );
  ctx.print(
    `  acts:      permission mode ${r.permissionMode}; allowed tools: ${r.allowedTools ? list(r.allowedTools) : "the mode's defaults"}; ${r.docker ? "in a Docker container" : s.yellow("on this machine (no Docker)")}`,
  );
  if (r.shellHooks.length > 0) ctx.print(`  ${s.yellow("shell hooks:")} ${r.shellHooks.join("; ")}`);
  if (r.webhookHooks.length > 0) ctx.print(`  webhooks:  results go to ${r.webhookHooks.join(", ")}`);
  if (r.mcpServers.length > 0) ctx.print(`  MCP:       ${r.mcpServers.join(", ")}`);
}

async function list(ctx: CommandContext): Promise<void> {
  const { describeAgent } = await import("@herdctl/core/internal");
  const { table } = await import("../output/format.js");
  const loaded = await ctx.fleet();
  const agents = await Promise.all(loaded.agents.map((a) => describeAgent(loaded, a)));
  if (ctx.json) return ctx.printJson({ agents });
  if (agents.length === 0) return ctx.print("no agents");
  ctx.print(
    table(
      ["NAME", "SOURCE", "REF", "COMMIT", "SCHEDULES"],
      agents.map((a) => [
        a.name,
        a.source?.source ?? ctx.out.dim(`local (${a.file})`),
        a.source?.ref ?? "-",
        a.source ? a.source.commit.slice(0, 12) : "-",
        a.schedules.length > 0 ? a.schedules.map((x) => x.name).join(", ") : "-",
      ]),
    ),
  );
}

async function info(ctx: CommandContext, name: string): Promise<void> {
  const { agentDetails } = await import("@herdctl/core/internal");
  const { existsSync } = await import("node:fs");
  const { join } = await import("node:path");
  const loaded = await ctx.fleet();
  const details = await agentDetails(loaded, await ctx.agent(name));
  let jobs: JobRecord[] = [];
  // Reading jobs must not create a state store for a fleet that never ran.
  if (existsSync(join(ctx.stateDir(), "herdctl.db"))) {
    const state = await ctx.openState();
    try {
      jobs = state.jobs.list({ agent: name, limit: 5 }).jobs;
    } finally {
      state.close();
    }
  }
  if (ctx.json) return ctx.printJson({ ...details, jobs });
  printDetails(ctx, details);
  if (jobs.length === 0) return ctx.print("last jobs: none");
  const { jobsTable } = await import("./jobs.js");
  ctx.print("last jobs:");
  ctx.print(jobsTable(jobs, ctx.out));
}

function printDetails(ctx: CommandContext, d: AgentDetails): void {
  const s = ctx.out;
  ctx.print(`${s.bold(d.name)}  (${d.file})`);
  if (d.source) {
    ctx.print(`source:    ${d.source.source}${d.source.path ? ` (folder ${d.source.path})` : ""}`);
    ctx.print(`ref:       ${d.source.ref ?? "default branch"}`);
    ctx.print(`commit:    ${d.source.commit}`);
    ctx.print(`installed: ${d.source.installedAt}`);
  } else {
    ctx.print("source:    local (written by hand, not installed with agent add)");
  }
  if (d.schedules.length === 0) ctx.print("schedules: none");
  else {
    ctx.print("schedules:");
    for (const x of d.schedules)
      ctx.print(
        `  ${x.name}  ${x.type}${x.when ? ` ${x.when}` : ""}${x.enabled ? "" : s.yellow(" (disabled)")}`,
      );
  }
  if (d.env.length === 0) ctx.print("environment: refers to no variables");
  else {
    ctx.print("environment:");
    ctx.print(envTable(ctx, d.env));
  }
}

function envTable(ctx: CommandContext, env: EnvNeed[]): string {
  const s = ctx.out;
  const width = Math.max(...env.map((e) => e.name.length));
  return env
    .map((e) => {
      const word = e.set ? "set" : e.hasDefault ? "default" : "missing";
      const status = (e.set ? s.green : e.hasDefault ? s.dim : s.red)(word.padEnd(7));
      return `    ${e.name.padEnd(width)}  ${status}  ${s.dim(e.files.join(", "))}`;
    })
    .join("\n");
}

async function remove(
  ctx: CommandContext,
  name: string,
  options: { yes?: boolean; keepFiles?: boolean },
): Promise<void> {
  const { removeAgent } = await import("@herdctl/core/internal");
  const { CliError, UsageError } = await import("../errors.js");
  const { dirname, relative } = await import("node:path");
  const loaded = await ctx.fleet();
  const agent = await ctx.agent(name);
  if (!options.yes) {
    if (!process.stdin.isTTY || ctx.json)
      throw new UsageError(
        `agent remove asks before removing ${name}; pass --yes to remove it without asking`,
      );
    const { createInterface } = await import("node:readline/promises");
    // The question goes to stderr, like init's: stdout carries the result.
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const what = options.keepFiles
      ? "its files stay"
      : `deletes ${relative(ctx.cwd, dirname(agent.configPath)) || "."}/ if agent add made it`;
    const answer = await rl.question(
      `Remove agent ${name} from ${relative(ctx.cwd, loaded.configPath)} (${what})? [y/N] `,
    );
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("nothing removed");
  }
  const result = await removeAgent(loaded, name, { keepFiles: options.keepFiles }).catch(rethrowForUser);
  const daemon = await daemonPickup(ctx, (names) => !names.includes(name));
  if (ctx.json) return ctx.printJson({ ...result, daemon });
  ctx.print(`${ctx.out.green("removed")} agent ${name} from ${relative(ctx.cwd, loaded.configPath)}`);
  if (result.deleted) ctx.print(`  deleted ${relative(ctx.cwd, result.deleted)}/`);
  else if (result.kept) ctx.print(`  kept ${relative(ctx.cwd, result.kept)}/ (--keep-files)`);
  else
    ctx.print(
      `  its files stay where they are (${relative(ctx.cwd, agent.configPath)}): agent add did not make them`,
    );
  ctx.print(daemonLine(ctx, daemon, `agent ${name} is out of the running fleet`));
}

/** What the running daemon made of the fleet-file change, as seen through its control socket. */
type Pickup =
  | { state: "no-daemon" }
  | { state: "loaded" }
  | { state: "rejected"; message: string }
  | { state: "not-yet" };

/**
 * The daemon's config watcher reloads the fleet file when it changes; this waits (up to 10 s)
 * until the daemon's agent list shows the change, or its last reload error is newer than the edit.
 */
async function daemonPickup(ctx: CommandContext, done: (names: string[]) => boolean): Promise<Pickup> {
  const { daemonClient } = await import("../daemon.js");
  const client = await daemonClient(ctx).catch(() => undefined);
  if (!client) return { state: "no-daemon" };
  const since = Date.now() - 1000;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { agents } = await client.call<{ agents: Array<{ name: string }> }>("GET", "/api/agents");
    if (done(agents.map((a) => a.name))) return { state: "loaded" };
    const status = await client.call<{ lastReloadError: { message: string; at: string } | null }>(
      "GET",
      "/api/status",
    );
    const error = status.lastReloadError;
    if (error && Date.parse(error.at) >= since) return { state: "rejected", message: error.message };
    if (Date.now() > deadline) return { state: "not-yet" };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function daemonLine(ctx: CommandContext, pickup: Pickup, applied: string): string {
  const s = ctx.out;
  switch (pickup.state) {
    case "no-daemon":
      return s.dim("no daemon is running for this fleet; the change applies when it starts (herdctl start)");
    case "loaded":
      return `the running daemon reloaded the fleet file: ${applied}`;
    case "rejected":
      return `${s.yellow("the running daemon did not load the change")} and keeps its previous configuration:\n${pickup.message}`;
    case "not-yet":
      return `${s.yellow("the running daemon has not picked up the change")} within 10 s; run "herdctl status" to check`;
  }
}

/** The fleet file changed while it was being edited: the user's to sort out, not a crash. */
async function rethrowForUser(error: unknown): Promise<never> {
  const { ScheduleEditError } = await import("@herdctl/core");
  const { CliError } = await import("../errors.js");
  if (error instanceof ScheduleEditError) throw new CliError(error.message);
  throw error;
}
