import { existsSync } from "node:fs";
import { join } from "node:path";
import type { FleetStatus, ScheduleEditRequest, ScheduleInput, ScheduleStatus } from "@herdctl/core";
import { ControlError } from "@herdctl/core/internal/control/control-error";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { daemonClient } from "../daemon.js";
import { CliError, UsageError } from "../errors.js";
import { relativeAndLocal, relativeTime, table } from "../output/format.js";
import { statusColour } from "../output/style.js";

interface AddOptions {
  interval?: string;
  cron?: string;
  timezone?: string;
  prompt?: string;
  replace?: boolean;
  disabled?: boolean;
}

/** What the daemon answers to an edit (see control/api.ts). */
interface EditAnswer {
  action: string;
  file: string;
  written: boolean;
  schedule: ScheduleStatus | null;
}

export function registerSchedules(program: Command): void {
  const schedules = program
    .command("schedules")
    .description("list schedules, or add, remove, enable and disable one (written to the agent's YAML file)")
    .argument("[agent]", "only this agent's schedules")
    .action(async (agent: string | undefined, _options: unknown, command: Command) => {
      await list(new CommandContext(command.optsWithGlobals()), agent);
    });

  schedules
    .command("add")
    .description("add a schedule to an agent (--replace changes an existing one)")
    .argument("<agent>", "agent name")
    .argument("<name>", "schedule name (letters, digits, _ and -)")
    .option("--interval <duration>", "fire every <duration> after the previous run ends, e.g. 15m")
    .option("--cron <expression>", 'fire on a five-field cron expression, e.g. "0 9 * * 1-5"')
    .option("--timezone <zone>", "IANA time zone for --cron, e.g. Europe/Berlin")
    .option("-p, --prompt <text>", "prompt for the jobs it starts (default: the agent's default_prompt)")
    .option("--replace", "change the schedule if the agent already has one by this name")
    .option("--disabled", "write it with enabled: false")
    .action(async (agent: string, name: string, options: AddOptions, command: Command) => {
      const schedule = scheduleFromOptions(options);
      await edit(new CommandContext(command.optsWithGlobals()), {
        kind: "add",
        agent,
        name,
        schedule,
        replace: options.replace === true,
      });
    });

  schedules
    .command("rm")
    .alias("remove")
    .description("remove a schedule from its agent file")
    .argument("<agent>", "agent name")
    .argument("<name>", "schedule name")
    .action(async (agent: string, name: string, _options: unknown, command: Command) => {
      await edit(new CommandContext(command.optsWithGlobals()), { kind: "remove", agent, name });
    });

  for (const enabled of [true, false]) {
    schedules
      .command(enabled ? "enable" : "disable")
      .description(`${enabled ? "enable" : "disable"} a schedule (sets enabled: in its agent file)`)
      .argument("<agent>", "agent name")
      .argument("<name>", "schedule name")
      .action(async (agent: string, name: string, _options: unknown, command: Command) => {
        await edit(new CommandContext(command.optsWithGlobals()), { kind: "enabled", agent, name, enabled });
      });
  }
}

function scheduleFromOptions(options: AddOptions): ScheduleInput {
  if ((options.interval === undefined) === (options.cron === undefined))
    throw new UsageError('give exactly one of --interval <duration> or --cron "<expression>"');
  if (options.timezone !== undefined && options.cron === undefined)
    throw new UsageError("--timezone applies to --cron schedules only");
  const schedule: ScheduleInput =
    options.interval !== undefined
      ? { type: "interval", interval: options.interval }
      : { type: "cron", cron: options.cron! };
  if (options.timezone !== undefined) schedule.timezone = options.timezone;
  if (options.prompt !== undefined) schedule.prompt = options.prompt;
  if (options.disabled) schedule.enabled = false;
  return schedule;
}

async function list(ctx: CommandContext, agent: string | undefined): Promise<void> {
  const client = await daemonClient(ctx);
  let rows: ScheduleStatus[];
  if (client) {
    const query = agent === undefined ? "" : `?agent=${encodeURIComponent(agent)}`;
    rows = (await client.call<{ schedules: ScheduleStatus[] }>("GET", `/api/schedules${query}`)).schedules;
  } else {
    const { offlineStatus } = await import("../status-offline.js");
    const status: FleetStatus = await offlineStatus(ctx);
    if (agent !== undefined) await ctx.agent(agent);
    rows = status.agents.filter((a) => agent === undefined || a.name === agent).flatMap((a) => a.schedules);
  }
  if (ctx.json) return ctx.printJson({ schedules: rows });
  if (rows.length === 0) {
    ctx.print(agent === undefined ? "no schedules" : `agent ${agent} has no schedules`);
    return;
  }
  const s = ctx.out;
  ctx.print(
    table(
      ["AGENT", "SCHEDULE", "WHEN", "ENABLED", "NEXT", "LAST", "LAST STATUS"],
      rows.map((x) => [
        x.agent,
        x.name,
        x.when,
        x.enabled ? "yes" : s.yellow("no"),
        relativeAndLocal(x.nextRunAt),
        relativeTime(x.lastRunAt),
        x.lastStatus ? statusColour(s, x.lastStatus) : "-",
      ]),
    ),
  );
}

/** Through the daemon when one runs (it writes and applies at once); else the same edit, here. */
async function edit(ctx: CommandContext, request: ScheduleEditRequest): Promise<void> {
  const client = await daemonClient(ctx);
  let answer: EditAnswer;
  if (client) {
    const path = `/api/schedules/${encodeURIComponent(request.agent)}/${encodeURIComponent(request.name)}`;
    try {
      if (request.kind === "add")
        answer = await client.call<EditAnswer>("PUT", path, {
          schedule: request.schedule,
          replace: request.replace,
        });
      else if (request.kind === "remove") answer = await client.call<EditAnswer>("DELETE", path);
      else
        answer = await client.call<EditAnswer>("POST", `${path}/${request.enabled ? "enable" : "disable"}`);
    } catch (error) {
      if (error instanceof ControlError) throw new CliError(error.message);
      throw error;
    }
  } else {
    const { editSchedule, ScheduleEditError } = await import("../on-demand/fleet-config.js");
    let result: Awaited<ReturnType<typeof editSchedule>>;
    try {
      result = await editSchedule(await ctx.fleet(), request);
    } catch (error) {
      if (error instanceof ScheduleEditError) throw new CliError(error.message);
      throw error;
    }
    await forgetRuntimeState(ctx, request);
    answer = { action: result.action, file: result.display, written: result.written, schedule: null };
  }
  if (ctx.json) return ctx.printJson({ ...answer, applied: client !== undefined });
  const what = `schedule ${request.name} of ${request.agent}`;
  const where = answer.written ? `(${answer.file})` : `(${answer.file} already said so)`;
  ctx.print(`${ctx.out.green(answer.action)} ${what} ${where}`);
  if (!client)
    ctx.print(ctx.out.dim("no daemon is running: the change takes effect at the next herdctl start"));
  else if (answer.schedule?.nextRunAt) ctx.print(`next run ${relativeAndLocal(answer.schedule.nextRunAt)}`);
}

/**
 * The daemon keeps per-schedule state (last run, a dashboard toggle's override); an edit made
 * without it must not be undone by that state at the next start.
 */
async function forgetRuntimeState(ctx: CommandContext, request: ScheduleEditRequest): Promise<void> {
  if (request.kind === "add") return;
  // A SQLite state not made yet holds no schedule state; Postgres is asked.
  if ((await ctx.stateBackend()).kind === "sqlite" && !existsSync(join(ctx.stateDir(), "herdctl.db"))) return;
  const state = await ctx.openState();
  try {
    if (request.kind === "remove") state.schedules.delete(request.agent, request.name);
    else if (state.schedules.get(request.agent, request.name))
      state.schedules.upsert(request.agent, request.name, { enabledOverride: null });
  } finally {
    state.close();
  }
}
