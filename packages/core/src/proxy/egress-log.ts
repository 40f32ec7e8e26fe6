/** One destination a job asked for, summed over its connections. */
export interface EgressEntry {
  readonly host: string;
  readonly port: number;
  /** false: refused by the proxy (not allowlisted, or a forbidden address). */
  readonly allowed: boolean;
  readonly connections: number;
  /** Bytes the job sent to the destination and received from it (tunnelled or forwarded). */
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Why it was refused or failed, for the first such connection. */
  readonly reason?: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A connection's byte counts so far: what the job sent, what it received. */
export type ByteMeter = () => { up: number; down: number };

interface Tally extends Mutable<EgressEntry> {
  /** Connections still open: their counts are read when the entries are, not only when they close. */
  open: Set<ByteMeter>;
}

/**
 * What a job reached through the egress proxy. The proxy reports each connection here; the job
 * executor turns refusals into notices in the job's output and stores the totals with the job.
 */
export class EgressLog {
  private readonly byKey = new Map<string, Tally>();

  constructor(private readonly onRefused?: (host: string, port: number, reason: string) => void) {}

  private entry(host: string, port: number, allowed: boolean): Tally {
    const key = `${allowed ? "+" : "-"}${host}:${port}`;
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = { host, port, allowed, connections: 0, bytesUp: 0, bytesDown: 0, open: new Set() };
      this.byKey.set(key, entry);
    }
    return entry;
  }

  refused(host: string, port: number, reason: string): void {
    const entry = this.entry(host, port, false);
    entry.connections++;
    entry.reason ??= reason;
    this.onRefused?.(host, port, reason);
  }

  /**
   * A connection that was allowed, counted through `meter` while it is open; the returned
   * function says it has closed. A job's record is written as its end cuts the connections, before
   * their sockets report closing, so open ones are read where they stand.
   */
  opened(host: string, port: number, meter: ByteMeter): (failure?: string) => void {
    const entry = this.entry(host, port, true);
    entry.connections++;
    entry.open.add(meter);
    return (failure) => {
      if (!entry.open.delete(meter)) return;
      const { up, down } = meter();
      entry.bytesUp += up;
      entry.bytesDown += down;
      if (failure) entry.reason ??= failure;
    };
  }

  entries(): EgressEntry[] {
    return [...this.byKey.values()].map(({ open, ...entry }) => {
      for (const meter of open) {
        const { up, down } = meter();
        entry.bytesUp += up;
        entry.bytesDown += down;
      }
      return entry;
    });
  }
}
