import type { ApprovalRecord } from "@herdctl/core/internal";
import type { Command } from "commander";

// Modules are loaded inside the actions: a command line that runs no approval command should not
// pay for them at start-up.

type Ctx = InstanceType<typeof import("../context.js").CommandContext>;

export function registerApprovals(program: Command): void {
  program
    .command("approvals")
    .description("tool calls waiting for a person's approval (the agents' approvals rules)")
    .option("--all", "every request, decided ones included")
    .action(async (options: { all?: boolean }, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const list = await listApprovals(ctx, options.all === true);
      if (ctx.json) {
        ctx.printJson({ approvals: list });
        return;
      }
      if (list.length === 0) {
        ctx.print(options.all ? "no approval requests" : "no pending approvals");
        return;
      }
      const { relativeAndLocal, table } = await import("../output/format.js");
      const { visible } = await import("../output/terminal-text.js");
      ctx.print(
        table(
          ["ID", "AGENT", "JOB", "TOOL", "INPUT", "STATE", "EXPIRES"],
          list.map((a) => [
            a.id,
            ctx.out.cyan(a.agent),
            a.jobId,
            a.tool,
            visible(oneLine(a.input)),
            a.state === "pending"
              ? ctx.out.yellow("pending")
              : `${a.state} by ${visible(a.decidedBy ?? "?")}`,
            a.state === "pending" ? relativeAndLocal(a.expiresAt) : "",
          ]),
        ),
      );
    });

  for (const decision of ["approve", "deny"] as const) {
    program
      .command(decision)
      .description(decision === "approve" ? "let a paused tool call run" : "refuse a paused tool call")
      .argument("<id>", "approval id (from herdctl approvals)")
      .option("-r, --reason <text>", "why; recorded in the audit trail and told to the agent")
      .action(async (id: string, options: { reason?: string }, command: Command) => {
        const { CommandContext } = await import("../context.js");
        const ctx = new CommandContext(command.optsWithGlobals());
        const approval = await decide(ctx, id, decision, options.reason);
        if (ctx.json) ctx.printJson({ approval });
        else
          ctx.print(
            `${approval.id} ${approval.state} (${approval.tool} of ${approval.agent}, job ${approval.jobId})`,
          );
      });
  }
}

async function listApprovals(ctx: Ctx, all: boolean): Promise<ApprovalRecord[]> {
  const { daemonClient } = await import("../daemon.js");
  const client = await daemonClient(ctx);
  if (client) {
    const query = all ? "" : "?state=pending";
    return (await client.call<{ approvals: ApprovalRecord[] }>("GET", `/api/approvals${query}`)).approvals;
  }
  const state = await ctx.openState();
  try {
    return state.approvals.list(all ? {} : { state: "pending" });
  } finally {
    state.close();
  }
}

async function decide(
  ctx: Ctx,
  id: string,
  decision: "approve" | "deny",
  reason: string | undefined,
): Promise<ApprovalRecord> {
  const { CliError } = await import("../errors.js");
  const { ControlError, isApprovalId, localUserActor } = await import("@herdctl/core/essentials");
  if (!isApprovalId(id))
    throw new CliError(
      `${JSON.stringify(String(id).slice(0, 64))} is not an approval id (apr- and 8 letters or digits); see herdctl approvals`,
      2,
    );
  const { daemonClient } = await import("../daemon.js");
  const client = await daemonClient(ctx);
  if (client) {
    try {
      return (
        await client.call<{ approval: ApprovalRecord }>("POST", `/api/approvals/${id}/${decision}`, {
          ...(reason === undefined ? {} : { reason }),
        })
      ).approval;
    } catch (error) {
      if (error instanceof ControlError) throw new CliError(error.message);
      throw error;
    }
  }
  // No daemon: the job that asked was interrupted; the decision waits in the store and is applied
  // when the resumed job asks for the same call (docs/agents.md#approvals).
  const { cleanReason, describeApproval } = await import("@herdctl/core/internal");
  const state = await ctx.openState();
  try {
    const actor = localUserActor();
    const { record, changed } = (() => {
      const found = state.approvals.get(id);
      if (!found) throw new CliError(`no approval request "${id}"; herdctl approvals --all lists them`);
      return state.approvals.decide(id, {
        state: decision === "approve" ? "approved" : "denied",
        by: actor.who,
        via: "cli",
        reason: cleanReason(reason) ?? null,
      });
    })();
    if (!changed) throw new CliError(`Approval ${id} was already decided: ${describeApproval(record)}.`);
    state.audit.append({
      action: `approval.${record.state}`,
      ...actor,
      target: id,
      detail: {
        agent: record.agent,
        job: record.jobId,
        tool: record.tool,
        ...(record.reason ? { reason: record.reason } : {}),
      },
    });
    return record;
  } finally {
    state.close();
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
