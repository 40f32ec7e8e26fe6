import { nodeCrypto } from "../util/lazy-crypto.js";

/** The fields of an audit entry that its hash covers, in a fixed order. */
export interface ChainedFields {
  readonly seq: number;
  readonly at: string;
  readonly action: string;
  readonly via: string;
  readonly who: string;
  readonly target: string | null;
  readonly detail: string | null;
}

/** The hash the first entry links to: no entry comes before it. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * sha256 over the previous entry's hash and this entry's fields. An array of the fields (not an
 * object) keeps the encoding independent of key order; JSON keeps field boundaries unambiguous.
 */
export function entryHash(prevHash: string, fields: ChainedFields): string {
  const encoded = JSON.stringify([
    prevHash,
    fields.seq,
    fields.at,
    fields.action,
    fields.via,
    fields.who,
    fields.target,
    fields.detail,
  ]);
  return nodeCrypto().createHash("sha256").update(encoded).digest("hex");
}

export interface ChainedRow extends ChainedFields {
  readonly prevHash: string;
  readonly hash: string;
}

/** The first place the chain breaks, said so a person can find the row. */
export interface ChainBreak {
  readonly seq: number;
  readonly at: string;
  readonly problem: "changed" | "relinked" | "missing" | "checkpoint";
  readonly message: string;
}

/**
 * Walks rows in seq order and reports the first that does not follow from the one before it:
 * a row whose content no longer matches its hash was edited; a row whose link does not name the
 * previous hash had rows removed or inserted before it; a gap in seq means rows were deleted.
 */
export class ChainVerifier {
  private prevHash: string;
  private prevSeq: number;
  private count = 0;

  /** `start`: the newest entry pruned (the audit checkpoint); the chain's beginning by default. */
  constructor(start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }) {
    this.prevSeq = start.seq;
    this.prevHash = start.hash;
  }

  /** Returns the break at this row, or undefined while the chain holds. */
  check(row: ChainedRow): ChainBreak | undefined {
    this.count++;
    const where = `audit entry ${row.seq} (${row.at}, ${row.action} by ${row.via} ${row.who})`;
    if (row.seq !== this.prevSeq + 1) {
      const first = this.prevSeq + 1;
      const gap = row.seq - 1 === first ? `entry ${first} is` : `entries ${first}–${row.seq - 1} are`;
      return {
        seq: row.seq,
        at: row.at,
        problem: "missing",
        message: `${gap} missing before ${where}: deleted`,
      };
    }
    if (row.prevHash !== this.prevHash) {
      return {
        seq: row.seq,
        at: row.at,
        problem: "relinked",
        message: `${where} does not link to the entry before it: the chain was rewritten from here`,
      };
    }
    if (entryHash(row.prevHash, row) !== row.hash) {
      return {
        seq: row.seq,
        at: row.at,
        problem: "changed",
        message: `${where} was changed after it was written: its content no longer matches its hash`,
      };
    }
    this.prevHash = row.hash;
    this.prevSeq = row.seq;
    return undefined;
  }

  get checked(): number {
    return this.count;
  }
}
