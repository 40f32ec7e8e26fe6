import { type ChainBreak, ChainVerifier, entryHash, GENESIS_HASH } from "../audit/chain.js";
import type { Db } from "./db.js";
import { translateStorageError } from "./errors.js";

/** One recorded action: what changed what runs, who did it and through which door. */
export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  /** e.g. "job.trigger", "job.cancel", "schedule.disable", "config.reload", "login.failed". */
  readonly action: string;
  /** The door: cli, dashboard, webhook, schedule, wake, chat, library, file-watch, … */
  readonly via: string;
  /** Who within that door: a local user, a dashboard session, a webhook delivery, a schedule. */
  readonly who: string;
  /** What it acted on: a job id, "agent/schedule", an agent name; null for the fleet itself. */
  readonly target: string | null;
  /** JSON with the action's particulars (never a secret); null when there are none. */
  readonly detail: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

/** What a caller supplies; the repository adds seq, time and the hashes. */
export interface NewAuditEntry {
  readonly action: string;
  readonly via: string;
  readonly who: string;
  readonly target?: string | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Which audit entries `audit` returns: newest first, since a time, at most `limit`. */
export interface AuditQuery {
  /** Only entries at or after this time. */
  readonly since?: Date;
  /** Newest first, at most this many (default 1000). */
  readonly limit?: number;
}

/** The chain check: how many entries held, and the first break when one did not. */
export interface AuditVerification {
  readonly ok: boolean;
  readonly checked: number;
  readonly break?: ChainBreak;
  /** The first entry checked when older ones were pruned (the checkpoint's next). */
  readonly from?: number;
}

interface AuditRow {
  seq: number;
  at: string;
  action: string;
  via: string;
  who: string;
  target: string | null;
  detail: string | null;
  prev_hash: string;
  hash: string;
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    at: row.at,
    action: row.action,
    via: row.via,
    who: row.who,
    target: row.target,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** An entry's detail as verify reads it; text that is not a JSON object reads as nothing. */
function parseDetail(detail: string | null): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(detail ?? "null");
    return value && typeof value === "object" ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The append-only audit trail. Each entry carries the hash of the one before it, so an edited,
 * removed or inserted row shows in `verify` even though SQLite itself can be rewritten by anyone
 * holding the file. The table's triggers refuse UPDATE and DELETE from herdctl's own code paths.
 */
export class AuditRepository {
  constructor(
    private readonly db: Db,
    private readonly dbPath: string,
    private readonly now: () => Date,
  ) {}

  append(input: NewAuditEntry): AuditEntry {
    try {
      // Read the tail and write the next row in one IMMEDIATE transaction: two processes sharing
      // the state (daemon and a one-off CLI) cannot both link to the same tail.
      return this.db
        .transaction(() => {
          // With every entry pruned the chain goes on from the checkpoint, never from the start again.
          const tail =
            (this.db.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").get() as
              | { seq: number; hash: string }
              | undefined) ?? this.checkpoint();
          const fields = {
            seq: tail.seq + 1,
            at: this.now().toISOString(),
            action: input.action,
            via: input.via,
            who: input.who,
            target: input.target ?? null,
            detail: input.detail === undefined ? null : JSON.stringify(input.detail),
          };
          const prevHash = tail.seq === 0 ? GENESIS_HASH : tail.hash;
          const hash = entryHash(prevHash, fields);
          this.db
            .prepare(
              "INSERT INTO audit (seq, at, action, via, who, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .run(
              fields.seq,
              fields.at,
              fields.action,
              fields.via,
              fields.who,
              fields.target,
              fields.detail,
              prevHash,
              hash,
            );
          return { ...fields, prevHash, hash };
        })
        .immediate();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }

  /** Newest first. */
  list(query: AuditQuery = {}): AuditEntry[] {
    const limit = query.limit ?? 1000;
    const rows = (
      query.since
        ? this.db
            .prepare("SELECT * FROM audit WHERE at >= ? ORDER BY seq DESC LIMIT ?")
            .all(query.since.toISOString(), limit)
        : this.db.prepare("SELECT * FROM audit ORDER BY seq DESC LIMIT ?").all(limit)
    ) as AuditRow[];
    return rows.map(toEntry);
  }

  /** How many entries are older than `before`, leaving the newest: what a prune would remove. */
  countBefore(before: Date): number {
    return (
      this.db
        .prepare("SELECT COUNT(*) AS n FROM audit WHERE at < ? AND seq < (SELECT MAX(seq) FROM audit)")
        .get(before.toISOString()) as { n: number }
    ).n;
  }

  /** The newest entry pruned: seq 0 and the genesis hash while none was. */
  checkpoint(): { seq: number; hash: string; at: string } {
    const row = this.db
      .prepare("SELECT through_seq AS seq, through_hash AS hash, at FROM audit_checkpoint WHERE id = 1")
      .get() as { seq: number; hash: string; at: string } | undefined;
    return row ?? { seq: 0, hash: GENESIS_HASH, at: new Date(0).toISOString() };
  }

  /**
   * Removes entries older than `before` (never the newest one), moving the checkpoint to the
   * newest removed first (the only way the table's trigger lets a DELETE through), and records the
   * prune as an entry of its own that names that checkpoint, so verify can tell a moved checkpoint.
   */
  prune(before: Date, actor: { via: string; who: string }): { entries: number; throughSeq: number } {
    try {
      return this.db
        .transaction(() => {
          const cut = this.db
            .prepare(
              "SELECT seq, hash FROM audit WHERE at < ? AND seq < (SELECT MAX(seq) FROM audit) ORDER BY seq DESC LIMIT 1",
            )
            .get(before.toISOString()) as { seq: number; hash: string } | undefined;
          if (!cut) return { entries: 0, throughSeq: this.checkpoint().seq };
          this.db
            .prepare("UPDATE audit_checkpoint SET through_seq = ?, through_hash = ?, at = ? WHERE id = 1")
            .run(cut.seq, cut.hash, this.now().toISOString());
          const entries = this.db.prepare("DELETE FROM audit WHERE seq <= ?").run(cut.seq).changes;
          this.append({
            action: "audit.prune",
            ...actor,
            target: null,
            detail: { entries, before: before.toISOString(), throughSeq: cut.seq, throughHash: cut.hash },
          });
          return { entries, throughSeq: cut.seq };
        })
        .immediate();
    } catch (error) {
      throw translateStorageError(error, this.dbPath);
    }
  }

  /**
   * Checks the chain from the checkpoint on, oldest first, without holding it all in memory. A
   * checkpoint past the newest prune entry's (moved to hide a deletion) is a break of its own.
   */
  verify(): AuditVerification {
    const start = this.checkpoint();
    if (start.seq > 0) {
      const recorded = this.db
        .prepare("SELECT * FROM audit WHERE action = 'audit.prune' ORDER BY seq DESC LIMIT 1")
        .get() as AuditRow | undefined;
      const said = parseDetail(recorded?.detail ?? null);
      if (said.throughSeq !== start.seq || said.throughHash !== start.hash)
        return {
          ok: false,
          checked: 0,
          break: {
            seq: start.seq,
            at: start.at,
            problem: "checkpoint",
            message: `the audit checkpoint (entries through ${start.seq} pruned) matches no audit.prune entry: it was moved, and the entries it hides were deleted`,
          },
        };
    }
    const verifier = new ChainVerifier(start);
    for (const row of this.db.prepare("SELECT * FROM audit ORDER BY seq").iterate() as Iterable<AuditRow>) {
      const broken = verifier.check(toEntry(row));
      if (broken) return { ok: false, checked: verifier.checked, break: broken };
    }
    return { ok: true, checked: verifier.checked, ...(start.seq > 0 ? { from: start.seq + 1 } : {}) };
  }
}
