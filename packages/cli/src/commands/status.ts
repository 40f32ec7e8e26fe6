import type {
  AgentStatus,
  BudgetStatus,
  ConnectorStatus,
  FleetStatus,
  JobRef,
  WakeRef,
} from "@herdctl/core/internal";
import { isAgentName } from "@herdctl/core/internal/state/ids";
import { nearestNames } from "@herdctl/core/internal/util/nearest";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { askDaemon } from "../daemon.js";
import { CliError } from "../errors.js";
import { bytes, duration, relativeAndLocal, relativeTime, table } from "../output/format.js";
import { statusColour } from "../output/style.js";
import { visible } from "../output/terminal-text.js";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("the fleet, or one agent: schedules, running and queued jobs, last results")
    .argument("[agent]", "show one agent in detail")
    .action((agentName: string | undefined, _options: unknown, command: Command) =>
      showStatus(new CommandContext(command.optsWithGlobals()), agentName),
    );
}

/** `herdctl status [agent]`: from the running daemon, else from the state store and the fleet. */
export async function showStatus(ctx: CommandContext, agentName: string | undefined): Promise<void> {
  const status =
    (await askDaemon<FleetStatus>(ctx, "/api/status"))?.answer ??
    (await (await import("../status-offline.js")).offlineStatus(ctx));
  if (agentName !== undefined) {
    const agent = status.agents.find((a) => a.name === agentName);
    if (!agent) {
      const names = status.agents.map((a) => a.name);
      if (!isAgentName(agentName)) throw new CliError(`"${agentName}" is not a valid agent name`, 2);
      throw new CliError(
        `agent "${agentName}" not found. Nearest: ${nearestNames(agentName, names).join(", ") || "none"}. Available: ${names.join(", ")}`,
      );
    }
    if (ctx.json) ctx.printJson(agent);
    else printAgent(ctx, agent);
    return;
  }
  if (ctx.json) {
    ctx.printJson(status);
    return;
  }
  const s = ctx.out;
  const state = status.state === "running" ? s.green("running") : s.dim(status.state);
  ctx.print(
    `${s.bold(`fleet ${status.fleet}`)} ${state}${status.state === "running" ? ` · pid ${status.pid} · up ${duration(status.uptimeMs)}` : ""}${status.offline ? s.magenta(" · OFFLINE") : ""}`,
  );
  if (status.lastReloadError) {
    ctx.print(
      s.red(
        `config reload failed ${relativeTime(status.lastReloadError.at)}; still running the previous config:`,
      ),
    );
    ctx.print(status.lastReloadError.message);
  }
  ctx.print(
    table(
      ["AGENT", "RUNTIME", "RUNNING", "QUEUED", "NEXT RUN", "LAST JOB"],
      status.agents.map((a) => {
        const next = a.schedules
          .map((x) => x.nextRunAt)
          .filter((x): x is string => Boolean(x))
          .sort()[0];
        return [
          s.cyan(a.name),
          `${a.runtime}${a.docker ? "+docker" : ""}`,
          String(a.running.length),
          String(a.queued.length) + (a.retrying?.length ? s.yellow(` +${a.retrying.length} retrying`) : ""),
          relativeAndLocal(next),
          a.lastJob ? `${statusColour(s, a.lastJob.status)} ${relativeTime(a.lastJob.finishedAt)}` : "-",
        ];
      }),
    ),
  );
  for (const a of status.agents)
    for (const w of a.wakes ?? []) ctx.print(`${s.cyan(a.name)} ${wakeLine(s, w)}`);
  for (const b of [...(status.budgets ?? []), ...status.agents.flatMap((a) => a.budgets ?? [])])
    ctx.print(budgetLine(s, b));
  for (const c of status.connectors ?? []) ctx.print(connectorLine(s, c));
  if (status.workers?.length)
    ctx.print(
      table(
        ["WORKER", "LABELS", "RUNNING", "LAST HEARTBEAT"],
        status.workers.map((w) => [
          w.alive ? s.cyan(w.id) : `${s.dim(w.id)} ${s.yellow("(silent)")}`,
          w.labels.length > 0 ? w.labels.join(",") : "-",
          `${w.running}/${w.maxConcurrent}`,
          relativeTime(w.heartbeatAt),
        ]),
      ),
    );
  else if (status.workers)
    ctx.print(s.yellow("workers none: no herdctl worker or daemon runs this fleet's jobs"));
  // A daemon older than usage-limit pauses sends no usageLimit.
  for (const a of status.agents)
    if (a.usageLimit)
      ctx.print(
        `${s.cyan("usage")}   ${s.cyan(a.name)} ${s.red(a.usageLimit.text)}; ${a.usageLimit.credential}`,
      );
  if (status.stateSize)
    ctx.print(
      s.dim(
        `state   ${bytes(status.stateSize.databaseBytes)} database, ${status.stateSize.jobs} job records (herdctl prune)`,
      ),
    );
}

/** Spend against one budget; a spent one says what that stops and until when. */
function budgetLine(s: CommandContext["out"], b: BudgetStatus): string {
  const spent = `$${b.spentUsd.toFixed(2)} of $${b.limitUsd.toFixed(2)} ${b.period === "daily" ? "today" : "this month"}`;
  const who = b.scope === "fleet" ? "fleet" : s.cyan(b.scope);
  if (!b.exceeded)
    return `${s.cyan("budget")}  ${who} ${spent} (${Math.floor((100 * b.spentUsd) / b.limitUsd)}%), resets ${relativeAndLocal(b.resetsAt)}`;
  return `${s.cyan("budget")}  ${who} ${s.red(`${spent}: spent`)}; scheduled runs are skipped until ${relativeAndLocal(b.resetsAt)}`;
}

/** One chat platform connection: its state, and why when it failed (the reason is plain words, never a token). */
function connectorLine(s: CommandContext["out"], c: ConnectorStatus): string {
  const colour = c.status === "connected" ? s.green : c.status === "failed" ? s.red : s.yellow;
  const why = c.reason ? `: ${visible(c.reason)}` : "";
  return `${s.cyan("chat")}    ${c.platform} (${c.key}) ${colour(c.status)}${why} since ${relativeTime(c.since)} · ${c.agents.map((a) => s.cyan(a)).join(", ")}`;
}

/** One pending wake; its prompt is agent-written, so it is shown through `visible`. */
function wakeLine(s: CommandContext["out"], w: WakeRef): string {
  const when = w.kind === "cron" ? `cron ${visible(w.cron ?? "")} (${w.timezone}), next` : "once,";
  return `${s.cyan("wake")}    ${w.id} ${when} ${relativeAndLocal(w.nextFireAt)}: ${visible(w.prompt)}`;
}

function trigger(j: JobRef): string {
  return j.attempt > 1 ? `${j.triggerType}, attempt ${j.attempt}` : j.triggerType;
}

function printAgent(ctx: CommandContext, a: AgentStatus): void {
  const s = ctx.out;
  ctx.print(`${s.bold(a.name)}${a.description ? ` — ${a.description}` : ""}`);
  ctx.print(
    `  runtime ${a.runtime}${a.docker ? " in docker" : ""} · model ${a.model ?? "default"} · max ${a.maxConcurrent} at once`,
  );
  ctx.print(`  working directory ${a.workingDirectory}`);
  if (a.schedules.length) {
    ctx.print(
      table(
        ["  SCHEDULE", "WHEN", "ENABLED", "NEXT", "LAST", "LAST STATUS"],
        a.schedules.map((x) => [
          `  ${x.name}`,
          x.when,
          x.enabled ? "yes" : s.yellow("no"),
          relativeAndLocal(x.nextRunAt),
          relativeTime(x.lastRunAt),
          x.lastStatus ? statusColour(s, x.lastStatus) : "-",
        ]),
      ),
    );
  }
  for (const j of a.running)
    ctx.print(`  running ${j.id} (${trigger(j)}) since ${relativeTime(j.startedAt)}`);
  for (const j of a.queued) ctx.print(`  queued  ${j.id} (${trigger(j)})`);
  for (const w of a.wakes ?? []) ctx.print(`  ${wakeLine(s, w)}`);
  for (const r of a.retrying ?? [])
    ctx.print(
      `  ${s.yellow("retry")}   ${r.jobId} failed; attempt ${r.attempt} of ${r.attempts} starts ${relativeTime(r.at)}`,
    );
  if (a.lastJob) {
    ctx.print(
      `  last job ${a.lastJob.id} ${statusColour(s, a.lastJob.status)} ${relativeTime(a.lastJob.finishedAt)}`,
    );
    if (a.lastJob.error) ctx.print(`  ${s.red(visible(a.lastJob.error))}`);
  }
  if (a.configTampers?.length) {
    ctx.print(`  ${s.red("refused attempts on the fleet's configuration or state")}, latest first:`);
    for (const t of a.configTampers)
      ctx.print(`  ${relativeTime(t.at)} job ${t.jobId}: ${visible(t.tool)} ${visible(t.path)}`);
  }
  if (a.rejectedWebhooks.length) {
    ctx.print("  refused webhook calls, latest first:");
    for (const r of a.rejectedWebhooks) {
      const more = r.suppressed ? s.dim(` (and ${r.suppressed} more, not recorded)`) : "";
      ctx.print(
        `  ${relativeTime(r.at)} ${r.schedule}: ${s.yellow(`${r.status} ${r.code}`)} ${visible(r.message)}${more}`,
      );
    }
  }
}
