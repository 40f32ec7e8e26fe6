import type { Command } from "commander";
import { keepRunningWhenOutputCloses } from "../closed-pipe.js";
import { CommandContext } from "../context.js";
import { CliError } from "../errors.js";
import { OFFLINE_LABEL } from "../offline-label.js";
import { attachFleetLog } from "../output/fleet-log.js";
import { visible } from "../output/terminal-text.js";
import { type WorkerFlags, workerSettings } from "../worker-options.js";

interface WorkerOptions extends WorkerFlags {
  offline?: boolean;
}

/** A stop that waits for the running jobs to end, however long they take (setTimeout's maximum). */
const DRAIN_FOREVER_MS = 2 ** 31 - 1;

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description(
      "run jobs from a PostgreSQL fleet's queue on this machine (no scheduler, no dashboard; herdctl start runs those)",
    )
    .option(
      "--id <id>",
      "this worker's id, shown on every job it runs (default: the hostname and 6 hex digits)",
    )
    .option(
      "--labels <labels>",
      "comma-separated labels this machine offers, which agents' placement.labels may require (docker,region=eu)",
    )
    .option("--max-concurrent <n>", "jobs this worker runs at once", "1")
    .option(
      "--lease <seconds>",
      "how long a job stays this worker's without a heartbeat: a dead worker's jobs are interrupted after it, and a database outage longer than it cancels this worker's jobs (default 10)",
    )
    .option("--offline", "use herdctl's built-in stand-in instead of Anthropic (no tokens spent)")
    .action(async (options: WorkerOptions, command: Command) => {
      const settings = workerSettings(options, { maxConcurrent: 1, minSlots: 1 });
      keepRunningWhenOutputCloses();
      const ctx = new CommandContext(command.optsWithGlobals());
      const configPath = ctx.configPath();
      if ((await ctx.stateBackend()).kind !== "postgres")
        throw new CliError(
          `herdctl worker: ${configPath} keeps its state in SQLite, where one herdctl start runs every job. ` +
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the fleet file's own ${VAR} syntax, shown as text
            "Workers share a fleet on PostgreSQL: set state: { backend: postgres, url: ${DATABASE_URL} } in the fleet file (docs/scaling.md), or run herdctl start here instead",
        );
      const { FleetManager } = await import("../on-demand/fleet-manager.js");
      const offline = options.offline ? await (await import("../offline.js")).startOffline() : undefined;
      const fleet = new FleetManager({
        config: configPath,
        stateDir: ctx.options.state ? ctx.stateDir() : undefined,
        env: offline?.env,
        offline: Boolean(offline),
        // A worker serves the queue only: no schedules, wakes, chats, retention or crash recovery.
        background: false,
        worker: settings,
        log: (line) => ctx.stderr.write(`${ctx.err.dim(visible(line))}\n`),
        actor: (await import("@herdctl/core/essentials")).localUserActor(),
      });
      const detach = attachFleetLog(fleet, ctx);
      try {
        await fleet.start();
      } catch (error) {
        detach();
        await offline?.standin.close();
        throw error;
      }
      const id = fleet.workerId;
      const slots = `${settings.maxConcurrent} slot${settings.maxConcurrent === 1 ? "" : "s"}`;
      const labels = settings.labels.length > 0 ? settings.labels.join(",") : "no labels";
      if (ctx.json)
        ctx.print(
          JSON.stringify({
            type: "worker:started",
            at: new Date().toISOString(),
            payload: { id, labels: settings.labels, maxConcurrent: settings.maxConcurrent, pid: process.pid },
          }),
        );
      else {
        if (offline) ctx.print(ctx.out.magenta(OFFLINE_LABEL));
        ctx.print(
          `${ctx.out.bold(`worker ${id}`)} of fleet ${fleet.fleet.fleet.name} running (pid ${process.pid}) · ${labels} · ${slots}`,
        );
        ctx.print(ctx.out.dim("Ctrl-C to stop after the running jobs end (again to cancel them)"));
      }
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals === 1) {
          ctx.stderr.write(
            `\n${ctx.err.yellow(`${signal}: stopping; no new jobs are claimed and running ones finish (again to cancel them now)`)}\n`,
          );
          void fleet.stop({ timeoutMs: DRAIN_FOREVER_MS, reason: signal });
        } else {
          ctx.stderr.write(`${ctx.err.yellow("cancelling running jobs now")}\n`);
          fleet.cancelWorkerJobs();
        }
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      await new Promise<void>((resolve) => fleet.events.once("fleet:stopped", () => resolve()));
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      detach();
      await offline?.standin.close().catch(() => {});
      ctx.stderr.write(`${ctx.err.dim(`worker ${id} stopped`)}\n`);
    });
}
