import type { AuditEntry, AuditVerification } from "@herdctl/core";
import type { Command } from "commander";

// Modules are loaded inside the actions: a command line that runs no audit command should not pay for them.

type Context = InstanceType<typeof import("../context.js").CommandContext>;

export function registerAudit(program: Command): void {
  const audit = program
    .command("audit")
    .description("who changed what runs: triggers, cancels, schedule and config changes, logins");

  audit
    .command("list", { isDefault: true })
    .description("audit entries, newest first")
    .option("--since <time>", "only entries since a time (ISO) or for a duration back (2h, 1d)")
    .option("-n, --limit <n>", "at most this many entries", "50")
    .action(async (options: { since?: string; limit: string }, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const { parseCount, parseSince } = await import("../lookup.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const since = options.since === undefined ? undefined : parseSince(options.since);
      const limit = parseCount(options.limit, "--limit", 10_000);
      const entries = await auditEntries(ctx, since, limit);
      if (ctx.json) {
        ctx.printJson({ entries });
        return;
      }
      if (entries.length === 0) {
        ctx.print("no audit entries");
        return;
      }
      const { relativeTime, table } = await import("../output/format.js");
      const { visible } = await import("../output/terminal-text.js");
      ctx.print(
        table(
          ["#", "WHEN", "ACTION", "BY", "TARGET", "DETAIL"],
          entries.map((e) => [
            String(e.seq),
            relativeTime(e.at),
            ctx.out.cyan(e.action),
            visible(`${e.via}: ${e.who}`),
            visible(e.target ?? "-"),
            visible(summarise(e.detail)),
          ]),
        ),
      );
    });

  audit
    .command("verify")
    .description("check the audit trail's hash chain; names the first entry that was changed or removed")
    .action(async (_options: unknown, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const { CliError } = await import("../errors.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const result = await verification(ctx);
      if (ctx.json) ctx.printJson(result);
      else if (result.ok)
        ctx.print(
          `audit trail intact: ${result.checked} entries, each linked to the one before${result.from ? ` (from entry ${result.from}: older ones were pruned at the checkpoint)` : ""}`,
        );
      if (!result.ok) {
        const text = `audit trail broken: ${result.break!.message}`;
        if (ctx.json) process.exitCode = 1;
        else throw new CliError(text);
      }
    });
}

async function auditEntries(ctx: Context, since: string | undefined, limit: number): Promise<AuditEntry[]> {
  const { daemonClient } = await import("../daemon.js");
  const client = await daemonClient(ctx);
  if (client) {
    const query = new URLSearchParams({ limit: String(limit), ...(since ? { since } : {}) });
    return (await client.call<{ entries: AuditEntry[] }>("GET", `/api/audit?${query}`)).entries;
  }
  const state = await ctx.openState();
  try {
    return state.audit.list({ since: since ? new Date(since) : undefined, limit });
  } finally {
    state.close();
  }
}

async function verification(ctx: Context): Promise<AuditVerification> {
  const { daemonClient } = await import("../daemon.js");
  const client = await daemonClient(ctx);
  if (client) return client.call<AuditVerification>("GET", "/api/audit/verify");
  const state = await ctx.openState();
  try {
    return state.audit.verify();
  } finally {
    state.close();
  }
}

/** One line of an entry's particulars: the changed keys of a config change, else key=value pairs. */
function summarise(detail: string | null): string {
  if (detail === null) return "";
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(detail) as Record<string, unknown>;
  } catch {
    return detail.slice(0, 60);
  }
  const text = Array.isArray(value.changed)
    ? `changed: ${(value.changed as string[]).join(", ") || "nothing"}`
    : Object.entries(value)
        .filter(([key]) => key !== "before" && key !== "after")
        .map(([key, v]) => `${key}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
  return text.length > 70 ? `${text.slice(0, 69)}…` : text;
}
