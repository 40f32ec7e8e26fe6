import type { ApprovalsConfig } from "../config/index.js";
import { FleetError } from "../fleet-manager/errors.js";
import type { ToolApprovals, ToolPermissionDecision } from "../runner/runtime/interface.js";
import type { Redactor } from "../secrets/redactor.js";
import type { ApprovalChannel, ApprovalRecord, ApprovalState, StateManager } from "../state/index.js";
import { oneLine } from "../util/printable.js";
import { matchedRule } from "./rule-match.js";
import { callKey, summarizeInput } from "./summary.js";

/** A person's (or the timeout's) answer to a request. */
export interface ApprovalDecision {
  decision: "approve" | "deny";
  /** Who decided: a local user, a dashboard session, a chat user. */
  by: string;
  via: ApprovalChannel;
  reason?: string;
}

export interface ApprovalBrokerEvents {
  requested(record: ApprovalRecord): void;
  decided(record: ApprovalRecord): void;
}

/** The job a set of approvals belongs to. */
export interface ApprovalJob {
  jobId: string;
  agent: string;
  config: ApprovalsConfig;
  redactor: Redactor;
  /** Earlier jobs this one continues (an interrupted job resumed): their requests count as its own. */
  continues?: readonly string[];
  /** A line in the job's output. */
  notice(text: string): void;
}

interface Waiter {
  jobId: string;
  resolve(record: ApprovalRecord): void;
  timer: NodeJS.Timeout;
}

export const REASON_MAX = 500;

/** A reason comes from a person (a chat, a form): one printable line of bounded length. */
export function cleanReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  const clean = oneLine(reason, REASON_MAX);
  return clean === "" ? undefined : clean;
}

/**
 * Pauses the tool calls an agent's `approvals` rules catch until a person decides, the request
 * times out, or the job ends. Requests live in the state store, so a decision can arrive through
 * any door (CLI, HTTP, chat) and a request outlives a daemon restart.
 */
export class ApprovalBroker {
  private readonly waiters = new Map<string, Waiter>();
  private closing = false;

  constructor(
    private readonly state: () => StateManager,
    private readonly events: ApprovalBrokerEvents,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The runtime's view of one job's approvals. */
  forJob(job: ApprovalJob): ToolApprovals {
    return {
      rules: job.config.tools,
      ask: (request, signal) => this.ask(job, request.toolName, request.input, signal),
    };
  }

  list(query: { state?: ApprovalState } = {}): ApprovalRecord[] {
    return this.state().approvals.list(query);
  }

  get(id: string): ApprovalRecord | undefined {
    return this.state().approvals.get(id);
  }

  /** Records a person's decision and lets the paused call go on (or be refused). */
  decide(id: string, decision: ApprovalDecision): ApprovalRecord {
    const existing = this.get(id);
    if (!existing) {
      throw new FleetError(
        "FLEET_APPROVAL_NOT_FOUND",
        `No approval request "${printable(id)}". List the pending ones with: herdctl approvals`,
      );
    }
    return this.settle(existing, {
      state: decision.decision === "approve" ? "approved" : "denied",
      by: decision.by,
      via: decision.via,
      reason: cleanReason(decision.reason),
    });
  }

  /**
   * A job ended: its pending requests are moot, except an interrupted job's, which a resumed job
   * asks again (see ask). So are those of the job it continued that it never asked again.
   */
  jobEnded(jobId: string, status: string, continued?: string | null): void {
    if (status === "interrupted") return;
    const approvals = this.state().approvals;
    const pending = [jobId, ...(continued ? [continued] : [])].flatMap((id) =>
      approvals.list({ state: "pending", jobId: id }),
    );
    for (const record of pending) {
      try {
        this.settle(record, {
          state: "denied",
          by: "herdctl",
          via: "api",
          reason: `the job ended (${status}) first`,
        });
      } catch {
        // Decided by someone in the same moment: theirs stands.
      }
    }
  }

  /** The daemon is stopping: pending requests stay in the store for the resumed job. */
  close(): void {
    this.closing = true;
    for (const waiter of this.waiters.values()) clearTimeout(waiter.timer);
  }

  private async ask(
    job: ApprovalJob,
    toolName: string,
    input: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<ToolPermissionDecision> {
    const store = this.state().approvals;
    const key = callKey(toolName, input);
    let record = store.findForCall([job.jobId, ...(job.continues ?? [])], key);
    if (record && record.jobId !== job.jobId) {
      if (record.state !== "pending") {
        job.notice(`${describe(record)} before the restart; applied to the call asked again`);
        return answer(record);
      }
      store.reattach(record.id, job.jobId);
      record = store.get(record.id)!;
    } else if (record?.state !== "pending") {
      const now = this.clock();
      record = store.create({
        jobId: job.jobId,
        agent: job.agent,
        tool: toolName,
        input: summarizeInput(input, job.redactor),
        inputKey: key,
        rule: matchedRule(job.config.tools, toolName, input),
        requestedAt: now,
        expiresAt: new Date(now.getTime() + job.config.timeout),
        onTimeout: job.config.on_timeout,
      });
    }
    job.notice(
      `${toolName} waits for approval ${record.id} (until ${record.expiresAt}, then ${record.onTimeout}): herdctl approve ${record.id} | herdctl deny ${record.id}`,
    );
    const decided = await this.wait(record, signal);
    if (!decided) return { behavior: "deny", message: "The job ended before anyone decided." };
    job.notice(describe(decided));
    return answer(decided);
  }

  private wait(record: ApprovalRecord, signal: AbortSignal): Promise<ApprovalRecord | undefined> {
    this.setWaiting(record.jobId, true);
    this.events.requested(record);
    return new Promise((resolve) => {
      const finish = (decided: ApprovalRecord | undefined) => {
        signal.removeEventListener("abort", onAbort);
        const waiter = this.waiters.get(record.id);
        if (waiter) clearTimeout(waiter.timer);
        this.waiters.delete(record.id);
        if (![...this.waiters.values()].some((w) => w.jobId === record.jobId))
          this.setWaiting(record.jobId, false);
        resolve(decided);
      };
      const onAbort = () => finish(undefined);
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      const delay = Math.max(0, Date.parse(record.expiresAt) - this.clock().getTime());
      // Timers cap at about 24.8 days; a longer wait re-arms on the next request for the call.
      const timer = setTimeout(() => this.expire(record.id), Math.min(delay, 2_147_483_647));
      timer.unref();
      this.waiters.set(record.id, { jobId: record.jobId, resolve: finish, timer });
    });
  }

  private expire(id: string): void {
    const record = this.get(id);
    if (!record || this.closing) return;
    this.settle(record, {
      state: "timed_out",
      by: "herdctl",
      via: "timeout",
      reason: `nobody decided in time; on_timeout: ${record.onTimeout}`,
    });
  }

  private settle(
    record: ApprovalRecord,
    decision: { state: Exclude<ApprovalState, "pending">; by: string; via: ApprovalChannel; reason?: string },
  ): ApprovalRecord {
    const { record: after, changed } = this.state().approvals.decide(record.id, decision);
    if (!changed) {
      throw new FleetError(
        "FLEET_APPROVAL_DECIDED",
        `Approval ${after.id} was already decided: ${describe(after)}.`,
      );
    }
    this.events.decided(after);
    this.waiters.get(after.id)?.resolve(after);
    return after;
  }

  private setWaiting(jobId: string, waiting: boolean): void {
    try {
      this.state().jobs.setWaiting(jobId, waiting);
    } catch {
      // The job ended meanwhile (cancelled, timed out): its status is already final.
    }
  }
}

function answer(record: ApprovalRecord): ToolPermissionDecision {
  const allowed =
    record.state === "approved" || (record.state === "timed_out" && record.onTimeout === "allow");
  if (allowed) return { behavior: "allow" };
  const why = record.reason ? `: ${record.reason}` : "";
  return {
    behavior: "deny",
    message:
      record.state === "timed_out"
        ? `Nobody approved this call in time, so herdctl refused it${why}. Do not retry it; say what you wanted to do.`
        : `${record.decidedBy ?? "A person"} refused this call${why}. Do not retry it; say what you wanted to do.`,
  };
}

/** One line about a decided request, for notices and errors. */
export function describe(record: ApprovalRecord): string {
  const what = `${record.tool} ${record.id}`;
  const reason = record.reason ? ` (${record.reason})` : "";
  switch (record.state) {
    case "approved":
      return `${what} approved by ${record.decidedBy} via ${record.decidedVia}${reason}`;
    case "denied":
      return `${what} denied by ${record.decidedBy} via ${record.decidedVia}${reason}`;
    case "timed_out":
      return `${what} timed out (${record.onTimeout === "allow" ? "allowed" : "denied"})`;
    default:
      return `${what} is pending`;
  }
}

/** An id typed by someone may hold anything: show it as one safe line. */
function printable(text: string): string {
  return JSON.stringify(text.slice(0, 64)).slice(1, -1);
}
