import { useSyncExternalStore } from "react";
import { ApiError, api } from "./api.js";
import { live } from "./live.js";
import type { ApprovalRecord } from "./types.js";

/**
 * Every approval request the page knows of, kept current by the live socket's `approval:*` events:
 * the nav badge, the approvals view and the job page read the same records, so a decision made
 * anywhere (CLI, another tab, a chat) reaches all three at once. The server's list is read when
 * the socket (re)connects, which covers whatever happened while it was down; there is no polling.
 */
class ApprovalsStore {
  private readonly records = new Map<string, ApprovalRecord>();
  /** What a person was told when their click came after someone else's decision, by request id. */
  private readonly lateNotes = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  /** For each list being fetched, the ids an event touched meanwhile: the event is newer. */
  private readonly fetching = new Set<Set<string>>();
  private snapshot: ApprovalRecord[] = [];
  private started = false;
  private loadedAll = false;

  /** Starts following the live socket; the first call also reads the pending requests. */
  start(): void {
    if (this.started) return;
    this.started = true;
    live.on((msg) => {
      // The badge keeps what it had when a read fails; the view reports its own reads' failures.
      if (msg.type === "hello") this.load(this.loadedAll).catch(() => {});
      if (msg.type !== "event" || (msg.event !== "approval:requested" && msg.event !== "approval:decided"))
        return;
      const record = msg.payload as ApprovalRecord | undefined;
      if (record && typeof record.id === "string") this.put(record);
    });
    this.load(false).catch(() => {});
  }

  /** Reads the server's list: the pending requests (for the badge), or every state's (the view). */
  async load(all: boolean): Promise<void> {
    if (all) this.loadedAll = true;
    const touched = new Set<string>();
    this.fetching.add(touched);
    let list: ApprovalRecord[];
    try {
      list = (await api.get<{ approvals: ApprovalRecord[] }>(`/api/approvals${all ? "" : "?state=pending"}`))
        .approvals;
    } finally {
      this.fetching.delete(touched);
    }
    const listed = new Set(list.map((r) => r.id));
    // A pending request missing from a fresh list was decided while nobody was listening.
    for (const [id, r] of this.records)
      if (r.state === "pending" && !listed.has(id) && !touched.has(id)) this.records.delete(id);
    for (const r of list) if (!touched.has(r.id)) this.records.set(r.id, r);
    this.changed();
  }

  /** Takes a record from an event or an answer; a decided record never goes back to pending. */
  put(record: ApprovalRecord): void {
    for (const touched of this.fetching) touched.add(record.id);
    const known = this.records.get(record.id);
    if (known && known.state !== "pending" && record.state === "pending") return;
    this.records.set(record.id, record);
    this.changed();
  }

  /**
   * A person's decision, as the dashboard session. A click that comes after someone else's
   * decision is told who decided first (the API's FLEET_APPROVAL_DECIDED), and the record is read
   * again so the view shows that decision; other failures reach the caller.
   */
  async decide(id: string, decision: "approve" | "deny", reason: string): Promise<void> {
    const path = `/api/approvals/${encodeURIComponent(id)}`;
    try {
      const res = await api.post<{ approval: ApprovalRecord }>(`${path}/${decision}`, {
        reason: reason.trim() === "" ? undefined : reason,
      });
      this.put(res.approval);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "FLEET_APPROVAL_DECIDED") throw error;
      this.lateNotes.set(id, `Your ${decision} came too late. ${error.message}`);
      this.put((await api.get<{ approval: ApprovalRecord }>(path)).approval);
    }
  }

  lateNote(id: string): string | undefined {
    return this.lateNotes.get(id);
  }

  subscribe = (cb: () => void): (() => void) => {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  };

  /** Newest first, as the server lists them. */
  list = (): ApprovalRecord[] => this.snapshot;

  private changed(): void {
    this.snapshot = [...this.records.values()].sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
    for (const cb of this.listeners) cb();
  }
}

export const approvals = new ApprovalsStore();

export function useApprovals(): ApprovalRecord[] {
  return useSyncExternalStore(approvals.subscribe, approvals.list);
}

export function usePendingCount(): number {
  return useSyncExternalStore(approvals.subscribe, () =>
    approvals.list().reduce((n, r) => n + (r.state === "pending" ? 1 : 0), 0),
  );
}
