import { request } from "node:http";
import { createInterface } from "node:readline";

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

/** Talks to a running daemon over its control socket. */
export class ControlClient {
  constructor(readonly socketPath: string) {}

  /** A client when a daemon answers on the socket, else undefined (no daemon, or a stale socket). */
  static async connect(socketPath: string, timeoutMs = 1500): Promise<ControlClient | undefined> {
    const client = new ControlClient(socketPath);
    try {
      await client.call("GET", "/api/health", undefined, timeoutMs);
      return client;
    } catch {
      return undefined;
    }
  }

  async call<T = unknown>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const res = await this.open(method, path, body, timeoutMs);
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

  /** Lines of an NDJSON stream, parsed; ends when the daemon closes it or `signal` aborts. */
  async *lines<T = unknown>(path: string, signal?: AbortSignal): AsyncGenerator<T> {
    const res = await this.open("GET", path, undefined, undefined, signal);
    if ((res.statusCode ?? 500) >= 400) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      let message = `the daemon answered ${res.statusCode}`;
      let code = "ERROR";
      try {
        const err = JSON.parse(Buffer.concat(chunks).toString("utf8")).error;
        message = err.message ?? message;
        code = err.code ?? code;
      } catch {}
      throw new ControlError(res.statusCode ?? 500, code, message);
    }
    const rl = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      for await (const line of rl) if (line.trim()) yield JSON.parse(line) as T;
    } catch (error) {
      // A stopping daemon drops its open streams ("aborted" / ECONNRESET): that is the end of it.
      const code = (error as NodeJS.ErrnoException).code;
      const closed = code === "ECONNRESET" || code === "ABORT_ERR" || (error as Error).message === "aborted";
      if (!signal?.aborted && !closed) throw error;
    }
  }

  private open(method: string, path: string, body?: unknown, timeoutMs?: number, signal?: AbortSignal) {
    return new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socketPath,
          path,
          method,
          headers: payload
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
            : {},
          timeout: timeoutMs,
          signal,
        },
        resolve,
      );
      req.on("timeout", () => req.destroy(new Error(`the daemon did not answer within ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }
}
