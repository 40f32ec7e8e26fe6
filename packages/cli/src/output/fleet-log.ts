import type { FleetManager, JobRecord } from "@herdctl/core";
import type { CommandContext } from "../context.js";
import { duration, jobCost } from "./format.js";
import { renderMessage } from "./job-render.js";
import { statusColour } from "./style.js";
import { visible } from "./terminal-text.js";

/** The live, readable log `herdctl start` prints; NDJSON of every event with --json. */
export function attachFleetLog(fleet: FleetManager, ctx: CommandContext): () => void {
  const s = ctx.out;
  const time = () => s.dim(new Date().toISOString().slice(11, 19));
  const handlers: Array<[string, (...args: never[]) => void]> = [];
  const on = <T extends unknown[]>(event: string, human: (...args: T) => string | undefined) => {
    const handler = (...args: T) => {
      if (ctx.json) {
        ctx.print(JSON.stringify({ type: event, at: new Date().toISOString(), payload: args[0] }));
        return;
      }
      const line = human(...args);
      if (line) ctx.print(`${time()} ${line}`);
    };
    fleet.events.on(event as never, handler as never);
    handlers.push([event, handler as never]);
  };
  const end = (job: JobRecord) =>
    `${s.cyan(job.agent)} ${job.id} ${statusColour(s, job.status)} ${s.dim(`${duration(job.durationMs)} · ${job.numTurns ?? 0} turns · ${jobCost(job)}`)}` +
    (job.error
      ? `\n         ${s.red(visible(job.error))}`
      : job.summary
        ? `\n         ${truncate(job.summary)}`
        : "");
  on("job:queued", (job: JobRecord) =>
    job.status === "queued" ? `${s.cyan(job.agent)} ${job.id} queued` : undefined,
  );
  on(
    "job:started",
    (job: JobRecord) =>
      `${s.cyan(job.agent)} ${job.id} started ${s.dim(`(${job.triggerType}${job.schedule ? ` ${job.schedule}` : ""})`)}`,
  );
  on("job:output", (e: { agent: string; message: unknown }) => {
    if (!ctx.options.verbose) return undefined;
    const lines = renderMessage(e.message as never, s);
    return lines.length ? `${s.cyan(e.agent)} ${lines.join("\n         ")}` : undefined;
  });
  for (const ev of ["job:completed", "job:failed", "job:cancelled", "job:interrupted"]) on(ev, end);
  on("schedule:skipped", (e: { agent: string; schedule: string; reason: string }) =>
    s.yellow(`${e.agent}/${e.schedule} skipped (${visible(e.reason)})`),
  );
  on(
    "config:reloaded",
    (e: { added: string[]; removed: string[]; updated: string[] }) =>
      `config reloaded: +${e.added.length} −${e.removed.length} ~${e.updated.length}`,
  );
  on("config:rejected", (e: { message: string }) =>
    s.red(`config change rejected, still running the previous config:\n${visible(e.message)}`),
  );
  return () => {
    for (const [event, handler] of handlers) fleet.events.off(event as never, handler as never);
  };
}

function truncate(text: string, max = 160): string {
  const one = visible(text.replace(/\s+/g, " ").trim());
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
