import type { FleetManager } from "@herdctl/core";
import type { WebServer } from "@herdctl/web";
import type { Command } from "commander";
import { keepRunningWhenOutputCloses } from "../closed-pipe.js";
import { CommandContext } from "../context.js";
import { UsageError } from "../errors.js";
import { OFFLINE_LABEL } from "../offline-label.js";
import { firstFire } from "../output/first-fire.js";
import { attachFleetLog } from "../output/fleet-log.js";
import { visible } from "../output/terminal-text.js";
import { type WorkerFlags, workerSettings } from "../worker-options.js";

interface StartOptions extends WorkerFlags {
  web?: boolean;
  webPort?: string;
  webHost?: string;
  offline?: boolean;
  stopTimeout?: string;
  warm?: boolean;
}

/** Jobs `herdctl start` runs itself on a PostgreSQL fleet when --max-concurrent is not given. */
const DEFAULT_DAEMON_SLOTS = 4;

export function registerStart(program: Command): void {
  program
    .command("start")
    .description("run the fleet in the foreground: schedules, triggers, the control socket")
    .option("--web", "also serve the web dashboard")
    .option("--web-port <port>", "dashboard port (default: web.port, 3232)")
    .option("--web-host <host>", "dashboard address (default: web.host, 127.0.0.1)")
    .option("--offline", "use herdctl's built-in stand-in instead of Anthropic (no tokens spent)")
    .option(
      "--no-warm",
      "do not start claude (or a Docker agent's container) ahead of a recently triggered agent's next job",
    )
    .option(
      "--stop-timeout <seconds>",
      "on Ctrl-C, how long running jobs may finish before they are cancelled",
      "30",
    )
    .option(
      "--id <id>",
      "PostgreSQL fleets: this daemon's worker id (default: the hostname and 6 hex digits)",
    )
    .option(
      "--labels <labels>",
      "PostgreSQL fleets: labels this machine offers to agents' placement.labels (docker,region=eu)",
    )
    .option(
      "--max-concurrent <n>",
      `PostgreSQL fleets: jobs this daemon runs itself from the fleet's queue (default ${DEFAULT_DAEMON_SLOTS}; 0 for none)`,
    )
    .option(
      "--lease <seconds>",
      "PostgreSQL fleets: how long a job stays this worker's without a heartbeat: a dead worker's jobs are interrupted after it, and a database outage longer than it cancels this worker's jobs (default 10)",
    )
    .action(async (options: StartOptions, command: Command) => {
      const worker = workerSettings(options, { maxConcurrent: DEFAULT_DAEMON_SLOTS, minSlots: 0 });
      keepRunningWhenOutputCloses();
      const ctx = new CommandContext(command.optsWithGlobals());
      const configPath = ctx.configPath();
      const { FleetManager, serveControlSocket, DEFAULT_WARM_CLAUDES, DEFAULT_WARM_CONTAINERS } =
        await import("../on-demand/fleet-manager.js");
      const { setupWarnings } = await import("../setup-warnings.js");
      const { missingImageWarnings } = await import("../image-warnings.js");
      const offline = options.offline ? await (await import("../offline.js")).startOffline() : undefined;
      const fleet = new FleetManager({
        config: configPath,
        stateDir: ctx.options.state ? ctx.stateDir() : undefined,
        env: offline?.env,
        offline: Boolean(offline),
        log: (line) => ctx.stderr.write(`${ctx.err.dim(visible(line))}\n`),
        actor: (await import("@herdctl/core/essentials")).localUserActor(),
        warmClaudes: options.warm === false ? undefined : DEFAULT_WARM_CLAUDES,
        warmContainers: options.warm === false ? undefined : DEFAULT_WARM_CONTAINERS,
        // Used on PostgreSQL only: there this daemon is one of the fleet's workers.
        worker: (await ctx.stateBackend()).kind === "postgres" ? worker : undefined,
      });
      const detach = attachFleetLog(fleet, ctx);
      try {
        await fleet.start();
      } catch (error) {
        detach();
        await offline?.standin.close();
        throw error;
      }
      let web: WebServer | undefined;
      const control = await serveControlSocket(fleet, fleet.state.socketPath, {
        dashboardLink: () => web?.loginLink(),
      });
      const webConfig = fleet.fleet.fleet.web;
      const hooksConfig = fleet.fleet.fleet.webhooks;
      const dashboard = options.web || webConfig.enabled;
      // webhooks.enabled alone serves the same server (the dashboard too), on webhooks.host/port.
      if (dashboard || hooksConfig.enabled) {
        const port = options.webPort
          ? Number.parseInt(options.webPort, 10)
          : dashboard
            ? webConfig.port
            : (hooksConfig.port ?? webConfig.port);
        const host = options.webHost ?? (dashboard ? webConfig.host : (hooksConfig.host ?? webConfig.host));
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          await fleet.stop({ timeoutMs: 0 });
          await control.close();
          await offline?.standin.close();
          throw new UsageError(`--web-port: "${options.webPort}" is not a port number (0-65535)`);
        }
        try {
          const { startWeb } = await import("../web.js");
          web = await startWeb(ctx, fleet, { host, port });
        } catch (error) {
          await fleet.stop({ timeoutMs: 0 });
          await control.close();
          await offline?.standin.close();
          throw error;
        }
      }
      printSummary(ctx, fleet, Boolean(offline), web);
      for (const warning of setupWarnings(fleet.fleet.agents, {
        offline: Boolean(offline),
        web: Boolean(web),
      })) {
        ctx.warn(warning);
      }
      for (const warning of await missingImageWarnings(fleet.fleet.agents)) ctx.warn(warning);

      const stopTimeoutMs = Number.parseFloat(options.stopTimeout ?? "30") * 1000;
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals === 1) {
          ctx.stderr.write(
            `\n${ctx.err.yellow(`${signal}: stopping; running jobs get ${stopTimeoutMs / 1000} s to finish (again to cancel them now)`)}\n`,
          );
          void fleet.stop({ timeoutMs: stopTimeoutMs, reason: signal });
        } else {
          ctx.stderr.write(`${ctx.err.yellow("cancelling running jobs now")}\n`);
          void fleet.stop({ timeoutMs: 0, reason: signal });
          void fleetCancelAll(fleet);
        }
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      await new Promise<void>((resolve) => fleet.events.once("fleet:stopped", () => resolve()));
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      detach();
      // Every client goes, whatever it is in the middle of: nothing may keep the process alive.
      const closing: Array<[string, () => Promise<void> | undefined]> = [
        ["the dashboard", () => web?.close()],
        ["the control socket", () => control.close()],
        ["the stand-in", () => offline?.standin.close()],
      ];
      for (const [what, close] of closing) {
        try {
          await close();
        } catch (error) {
          ctx.warn(`while stopping, could not close ${what}: ${(error as Error).message}`);
        }
      }
      ctx.stderr.write(`${ctx.err.dim("fleet stopped")}\n`);
    });
}

async function fleetCancelAll(fleet: FleetManager): Promise<void> {
  for (const agent of fleet.status().agents) {
    for (const job of agent.running) await fleet.cancel(job.id).catch(() => {});
  }
}

function printSummary(ctx: CommandContext, fleet: FleetManager, offline: boolean, web?: WebServer): void {
  const status = fleet.status();
  const login = web?.loginLink();
  if (ctx.json) {
    const dashboard =
      web && login ? { url: web.url, loginUrl: login.url, loginExpiresAt: login.expiresAt } : undefined;
    ctx.print(
      JSON.stringify({ type: "fleet:started", at: new Date().toISOString(), payload: status, dashboard }),
    );
    return;
  }
  if (offline) ctx.print(ctx.out.magenta(OFFLINE_LABEL));
  ctx.print(
    `${ctx.out.bold(`fleet ${status.fleet}`)} running (pid ${status.pid}) · ${status.counts.agents} agent${status.counts.agents === 1 ? "" : "s"} · state ${status.stateDir}`,
  );
  for (const agent of status.agents) {
    const kind = `${agent.runtime}${agent.docker ? " in docker" : ""}`;
    ctx.print(`  ${ctx.out.cyan(agent.name)} ${ctx.out.dim(`(${kind})`)}`);
    for (const s of agent.schedules)
      ctx.print(`    ${s.name}: ${s.when} · ${firstFire(s, status.startedAt)}`);
  }
  if (web && login) {
    ctx.print(`dashboard: ${web.url}`);
    ctx.print(`  log in once with ${login.url}`);
    const until = new Date(login.expiresAt).toLocaleTimeString();
    ctx.print(ctx.out.dim(`  (works once, until ${until}; herdctl dashboard prints a fresh one)`));
  }
  ctx.print(ctx.out.dim("Ctrl-C to stop"));
}
