/** What the main thread asks the Postgres worker thread (worker.ts) and what it answers. */
export interface PgOpen {
  readonly op: "open";
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

export interface PgQuery {
  readonly op: "query";
  readonly handle: number;
  readonly sql: string;
  readonly params: readonly unknown[];
  /**
   * Whether a connection found dead before this statement was sent may be replaced first. False
   * inside a transaction: a new connection would run the rest of it outside the transaction.
   */
  readonly reconnect: boolean;
}

export interface PgClose {
  readonly op: "close";
  readonly handle: number;
}

/**
 * A statement to run now and again on every new connection of this handle (a session lock the
 * process holds for as long as it lives: cluster/member-lock.ts). Its connection, once lost, is
 * replaced at once rather than at the next query.
 */
export interface PgEveryConnect {
  readonly op: "every-connect";
  readonly handle: number;
  readonly sql: string;
  readonly params: readonly unknown[];
}

export type PgCall = PgOpen | PgQuery | PgClose | PgEveryConnect;

export interface PgReply {
  readonly handle?: number;
  readonly rows?: Record<string, unknown>[];
  readonly rowCount?: number;
}
