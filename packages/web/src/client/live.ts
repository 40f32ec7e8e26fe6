import { useEffect, useRef, useState, useSyncExternalStore } from "react";

export type ConnectionState = "connecting" | "open" | "closed";

export interface LiveMessage {
  type: string;
  event?: string;
  jobId?: string;
  line?: number;
  message?: unknown;
  job?: Record<string, unknown> & { id: string; agent: string; status: string };
  payload?: unknown;
  code?: string;
}

type Listener = (msg: LiveMessage) => void;

/**
 * One WebSocket for the whole page. It reconnects with backoff and re-subscribes to every job it
 * was following from the line after the last one seen, so a dropped connection loses nothing.
 */
class LiveConnection {
  state: ConnectionState = "connecting";
  private socket: WebSocket | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<() => void>();
  /** jobId → next line wanted. */
  private readonly follows = new Map<string, number>();
  private retryMs = 500;
  private retryTimer: number | undefined;

  connect(): void {
    window.clearTimeout(this.retryTimer);
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    this.setState("connecting");
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      this.setState("open");
      for (const [jobId, from] of this.follows) this.send({ type: "subscribe", jobId, from });
    };
    socket.onmessage = (e) => {
      let msg: LiveMessage;
      try {
        msg = JSON.parse(String(e.data));
      } catch {
        return;
      }
      if (msg.type === "output" && msg.jobId && typeof msg.line === "number") {
        if (this.follows.has(msg.jobId)) this.follows.set(msg.jobId, msg.line + 1);
      }
      if (msg.type === "output-end" && msg.jobId) this.follows.delete(msg.jobId);
      for (const l of this.listeners) l(msg);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.setState("closed");
      this.retryTimer = window.setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  follow(jobId: string, from = 0): void {
    this.follows.set(jobId, from);
    this.send({ type: "subscribe", jobId, from });
  }

  unfollow(jobId: string): void {
    this.follows.delete(jobId);
    this.send({ type: "unsubscribe", jobId });
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeState = (cb: () => void): (() => void) => {
    this.stateListeners.add(cb);
    return () => this.stateListeners.delete(cb);
  };

  private send(msg: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(msg));
  }

  private setState(state: ConnectionState): void {
    this.state = state;
    for (const cb of this.stateListeners) cb();
  }
}

export const live = new LiveConnection();

export function useConnectionState(): ConnectionState {
  return useSyncExternalStore(live.subscribeState, () => live.state);
}

/** Calls `refresh` after fleet events, at most once a second, so 200 agents do not mean 200 fetches. */
export function useLiveRefresh(
  refresh: () => void,
  filter: (msg: LiveMessage) => boolean = () => true,
): void {
  const [tick, setTick] = useState(0);
  const filterRef = useRef(filter);
  filterRef.current = filter;
  useEffect(() => {
    let timer: number | undefined;
    let last = 0;
    const off = live.on((msg) => {
      if (msg.type !== "job" && msg.type !== "event" && msg.type !== "hello") return;
      if (!filterRef.current(msg)) return;
      if (timer !== undefined) return;
      const wait = Math.max(0, 1000 - (Date.now() - last));
      timer = window.setTimeout(() => {
        timer = undefined;
        last = Date.now();
        setTick((t) => t + 1);
      }, wait);
    });
    return () => {
      off();
      window.clearTimeout(timer);
    };
  }, []);
  useEffect(() => {
    if (tick > 0) refresh();
  }, [tick, refresh]);
}
