import { type IncomingMessage, type RequestOptions, request } from "node:http";
import { createInterface } from "node:readline";
import { ControlError, isNoDaemon } from "./control-error.js";
import { DAEMON_SILENCE_LIMIT_MS } from "./silence.js";

export { ControlError, isNoDaemon };

/** Why a followed stream ended without its end: every wording of "the daemon went away" is here. */
function daemonLost(how: "closed" | "silent"): ControlError {
  return how === "closed"
    ? new ControlError(0, "DAEMON_GONE", "the daemon closed the connection: it stopped or died")
    : new ControlError(
        0,
        "DAEMON_UNRESPONSIVE",
        `the daemon sent nothing for ${DAEMON_SILENCE_LIMIT_MS / 1000} s, not even a keep-alive: it is hung or overloaded; ` +
          `check it with "herdctl status", and restart it if it does not answer`,
      );
}

function isConnectionLoss(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ECONNRESET" || code === "EPIPE" || (error as Error).message === "aborted";
}

/** Talks to a running daemon over its control socket. */
export class ControlClient {
  constructor(readonly socketPath: string) {}

  /**
   * A client when a daemon answers on the socket, else undefined (no daemon, or a stale socket).
   * A daemon that accepts the connection but is slow to answer is busy, not absent: it gets the
   * same allowance as a silent stream, then this throws rather than pretend no daemon runs.
   */
  static async connect(
    socketPath: string,
    timeoutMs = DAEMON_SILENCE_LIMIT_MS,
  ): Promise<ControlClient | undefined> {
    const client = new ControlClient(socketPath);
    try {
      await client.call("GET", "/api/health", undefined, timeoutMs);
      return client;
    } catch (error) {
      if (error instanceof ControlError && error.code === "DAEMON_TIMEOUT")
        throw client.unanswered(timeoutMs);
      return undefined;
    }
  }

  /**
   * One request to the daemon on the socket, if one runs: its answer, or undefined when none
   * answers there (no listener, or a connection lost before any answer). Saves `connect`'s health
   * request for a command that asks one thing (status). An error the daemon answered throws, as
   * a daemon that accepts the connection and stays silent does (as in `connect`).
   */
  static async ask<T = unknown>(
    socketPath: string,
    method: string,
    path: string,
    timeoutMs = DAEMON_SILENCE_LIMIT_MS,
  ): Promise<{ answer: T } | undefined> {
    const client = new ControlClient(socketPath);
    try {
      return { answer: await client.call<T>(method, path, undefined, timeoutMs) };
    } catch (error) {
      if (error instanceof ControlError && error.code === "DAEMON_TIMEOUT")
        throw client.unanswered(timeoutMs);
      if (error instanceof ControlError && error.status > 0) throw error;
      return undefined;
    }
  }

  /** A daemon accepted the connection and then said nothing: busy or hung, not absent. */
  unanswered(timeoutMs = DAEMON_SILENCE_LIMIT_MS): ControlError {
    return new ControlError(
      0,
      "DAEMON_UNRESPONSIVE",
      `a daemon is listening on ${this.socketPath} but did not answer within ${timeoutMs / 1000} s: it is hung or overloaded; ` +
        `try again, or restart it (herdctl stop, or end its process) if it stays silent`,
    );
  }

  async call<T = unknown>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    return this.answer<T>(await this.open(method, path, body, { timeoutMs }));
  }

  /**
   * Lines of an NDJSON stream, parsed (keep-alive blank lines skipped); ends when the daemon ends
   * the stream or `signal` aborts. A connection that closes before the end, or a stream silent for
   * longer than the daemon's keep-alive allows, throws DAEMON_GONE or DAEMON_UNRESPONSIVE: a job
   * may be silent for any length of time, the daemon may not.
   */
  async *lines<T = unknown>(path: string, signal?: AbortSignal): AsyncGenerator<T> {
    const answer = await this.stream<T>("GET", path, undefined, signal);
    if ("lines" in answer) yield* answer.lines;
    else throw new ControlError(0, "BAD_RESPONSE", `the daemon answered GET ${path} with JSON, not a stream`);
  }

  /**
   * A request whose answer may be a stream: its NDJSON lines as `lines` does, or, when the daemon
   * answers with plain JSON (a daemon from before the request could stream), that JSON. Errors as
   * `call`; a socket no daemon listens on rejects with the connection's own error (`isNoDaemon`).
   */
  async stream<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<{ lines: AsyncGenerator<T> } | { json: unknown }> {
    let lost: ControlError | undefined;
    const res = await this.open(method, path, body, {
      timeoutMs: DAEMON_SILENCE_LIMIT_MS,
      onTimeout: () => (lost = daemonLost("silent")),
      signal,
    }).catch((error: unknown) => {
      throw lost ?? error;
    });
    const type = res.headers["content-type"] ?? "";
    if ((res.statusCode ?? 500) >= 400 || !type.startsWith("application/x-ndjson"))
      return { json: await this.answer(res) };
    return { lines: this.streamLines<T>(res, () => lost, signal) };
  }

  private async *streamLines<T>(
    res: IncomingMessage,
    lost: () => ControlError | undefined,
    signal?: AbortSignal,
  ): AsyncGenerator<T> {
    const rl = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
    // readline does not pass its input's errors on; ending it leaves the checks below to say why.
    res.on("error", () => rl.close());
    try {
      for await (const line of rl) if (line.trim()) yield JSON.parse(line) as T;
    } catch (error) {
      if (signal?.aborted) return;
      const silent = lost();
      if (silent) throw silent;
      if (isConnectionLoss(error)) throw daemonLost("closed");
      throw error;
    }
    if (signal?.aborted) return;
    const silent = lost();
    if (silent) throw silent;
    // A chunked response cut off before its last chunk: the daemon went away mid-stream.
    if (!res.complete) throw daemonLost("closed");
  }

  /** A whole JSON answer, parsed; an error status throws its code and message. */
  private async answer<T>(res: IncomingMessage): Promise<T> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ControlError(
        res.statusCode ?? 0,
        "BAD_RESPONSE",
        `the daemon sent a response that is not JSON: ${text.slice(0, 200)}`,
      );
    }
    if ((res.statusCode ?? 500) >= 400) {
      const err = (parsed as { error?: { code?: string; message?: string } })?.error;
      throw new ControlError(
        res.statusCode ?? 500,
        err?.code ?? "ERROR",
        err?.message ?? `the daemon answered ${res.statusCode}`,
      );
    }
    return parsed as T;
  }

  private open(
    method: string,
    path: string,
    body: unknown,
    options: { timeoutMs?: number; onTimeout?: () => void; signal?: AbortSignal } = {},
  ): Promise<IncomingMessage> {
    const { timeoutMs, signal } = options;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      // `servername` is not in the http types, but the agent reads it: a unix socket has no server
      // name, and given one the agent skips working it out from the host, whose IP check compiles
      // a pattern that costs a short command tens of ms on first use.
      const requestOptions: RequestOptions & { servername: string } = {
        socketPath: this.socketPath,
        path,
        method,
        headers: payload
          ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
          : {},
        // Not the global agent: its 5 s idle-socket timeout would cut off a long wait or a quiet stream.
        agent: false,
        servername: "",
        timeout: timeoutMs,
        signal,
      };
      const req = request(requestOptions, resolve);
      if (timeoutMs !== undefined) {
        req.on("timeout", () => {
          options.onTimeout?.();
          req.destroy(
            new ControlError(
              0,
              "DAEMON_TIMEOUT",
              `the daemon did not answer ${method} ${path} within ${timeoutMs} ms; check it with "herdctl status"`,
            ),
          );
        });
      }
      req.on("error", (error) => reject(isConnectionLoss(error) ? daemonLost("closed") : error));
      req.end(payload);
    });
  }
}
