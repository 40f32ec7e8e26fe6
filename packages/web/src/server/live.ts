import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FleetEventName, FleetManager, JobRecord } from "@herdctl/core";
import { type WebSocket, WebSocketServer } from "ws";

const JOB_EVENTS = [
  "job:queued",
  "job:started",
  "job:completed",
  "job:failed",
  "job:cancelled",
  "job:interrupted",
] as const;
const OTHER_EVENTS = [
  "schedule:fired",
  "schedule:skipped",
  "config:reloaded",
  "config:rejected",
  "fleet:stopping",
  "fleet:stopped",
  // Every dashboard shows the same chats: lists and open chats follow these.
  "chat:updated",
  "chat:deleted",
  // The dashboard's approvals badge follows these.
  "approval:requested",
  "approval:decided",
] as const;

const MAX_SUBSCRIPTIONS = 20;
/** A client this far behind is dropped; it reconnects and resumes from its last line. */
const MAX_BUFFERED = 8 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;

/** Job fields for live updates: the record minus its prompt, which can be a megabyte. */
export function jobSummary(job: JobRecord): Omit<JobRecord, "prompt" | "usage"> {
  const { prompt: _prompt, usage: _usage, ...rest } = job;
  return rest;
}

interface Client {
  socket: WebSocket;
  /** Whether the credential the socket was opened with still holds (a session can end). */
  authorized: () => boolean;
  alive: boolean;
  follows: Map<string, AbortController>;
}

/**
 * `/ws`: fleet, schedule and job lifecycle events for everyone, and the output of each job a client
 * subscribes to (`{"type":"subscribe","jobId":...,"from":<line>}`), read from the job's output file
 * so a reconnecting client resumes exactly where it stopped.
 */
export class LiveHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  private readonly clients = new Set<Client>();
  private readonly unlisten: Array<() => void> = [];
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly fleet: FleetManager) {
    for (const event of JOB_EVENTS) {
      const listener = (job: JobRecord) => this.broadcast({ type: "job", event, job: jobSummary(job) });
      fleet.events.on(event, listener);
      this.unlisten.push(() => fleet.events.off(event, listener));
    }
    for (const event of OTHER_EVENTS) {
      const listener = (payload: unknown) => this.broadcast({ type: "event", event, payload });
      fleet.events.on(event as FleetEventName, listener as never);
      this.unlisten.push(() => fleet.events.off(event as FleetEventName, listener as never));
    }
    this.heartbeat = setInterval(() => this.ping(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * Completes an upgrade the caller has already authorised; `authorized` re-checks the credential
   * it came with, so a socket does not outlive a session that logout or expiry ended.
   */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, authorized: () => boolean): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, authorized));
  }

  /** Closes the sockets whose session has ended (1008, "session ended"). */
  revalidate(): void {
    for (const client of this.clients) if (!client.authorized()) client.socket.close(1008, "session ended");
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const off of this.unlisten) off();
    for (const client of this.clients) {
      for (const follow of client.follows.values()) follow.abort();
      client.socket.terminate();
    }
    this.clients.clear();
    this.wss.close();
  }

  private connected(socket: WebSocket, authorized: () => boolean): void {
    const client: Client = { socket, authorized, alive: true, follows: new Map() };
    this.clients.add(client);
    socket.on("pong", () => {
      client.alive = true;
    });
    socket.on("message", (data, isBinary) => {
      if (isBinary) {
        this.send(client, { type: "error", code: "BAD_MESSAGE", message: "send JSON text" });
        return;
      }
      this.onMessage(client, data.toString());
    });
    socket.on("close", () => {
      for (const follow of client.follows.values()) follow.abort();
      this.clients.delete(client);
    });
    socket.on("error", () => socket.terminate());
    const state = this.fleet.status().state;
    this.send(client, { type: "hello", state });
  }

  private onMessage(client: Client, text: string): void {
    let msg: { type?: unknown; jobId?: unknown; from?: unknown };
    try {
      msg = JSON.parse(text);
    } catch {
      this.send(client, {
        type: "error",
        code: "BAD_MESSAGE",
        message: "the message is not valid JSON",
      });
      return;
    }
    if (msg?.type === "ping") {
      this.send(client, { type: "pong" });
      return;
    }
    if (msg?.type === "unsubscribe" && typeof msg.jobId === "string") {
      client.follows.get(msg.jobId)?.abort();
      client.follows.delete(msg.jobId);
      return;
    }
    if (msg?.type !== "subscribe" || typeof msg.jobId !== "string") {
      this.send(client, {
        type: "error",
        code: "BAD_MESSAGE",
        message: 'expected {"type":"subscribe"|"unsubscribe","jobId":"..."} or {"type":"ping"}',
      });
      return;
    }
    const from = typeof msg.from === "number" && Number.isInteger(msg.from) && msg.from >= 0 ? msg.from : 0;
    this.subscribe(client, msg.jobId, from);
  }

  private subscribe(client: Client, jobId: string, from: number): void {
    if (client.follows.has(jobId)) return;
    if (client.follows.size >= MAX_SUBSCRIPTIONS) {
      this.send(client, {
        type: "error",
        code: "TOO_MANY_SUBSCRIPTIONS",
        message: `at most ${MAX_SUBSCRIPTIONS} jobs at once; unsubscribe from one first`,
        jobId,
      });
      return;
    }
    let lines: AsyncGenerator<{ line: number; message: unknown }>;
    const controller = new AbortController();
    try {
      lines = this.fleet.state.followJobOutput(jobId, { fromLine: from, signal: controller.signal });
    } catch (error) {
      const code = (error as { code?: string }).code ?? "INTERNAL";
      this.send(client, { type: "error", code, message: (error as Error).message, jobId });
      return;
    }
    client.follows.set(jobId, controller);
    void (async () => {
      try {
        for await (const { line, message } of lines)
          this.send(client, { type: "output", jobId, line, message });
        if (!controller.signal.aborted) {
          const job = this.fleet.state.jobs.get(jobId);
          this.send(client, { type: "output-end", jobId, job: job ? jobSummary(job) : null });
        }
      } catch (error) {
        if (!controller.signal.aborted)
          this.send(client, {
            type: "error",
            code: "OUTPUT_FAILED",
            message: (error as Error).message,
            jobId,
          });
      } finally {
        if (client.follows.get(jobId) === controller) client.follows.delete(jobId);
      }
    })();
  }

  private send(client: Client, message: unknown): void {
    const { socket } = client;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED) {
      socket.close(1013, "too far behind; reconnect");
      return;
    }
    socket.send(JSON.stringify(message));
  }

  private broadcast(message: unknown): void {
    for (const client of this.clients) this.send(client, message);
  }

  private ping(): void {
    this.revalidate();
    for (const client of this.clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }
}
