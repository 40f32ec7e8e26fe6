import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay on 127.0.0.1 in front of the test PostgreSQL that a test can cut (every connection
 * through it dropped, new ones refused) and restore: a network cut between one worker and the
 * database, without touching the server the other test files share.
 */
export interface CutProxy {
  /** `url` with its host and port pointed at the relay. */
  url: string;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function cutProxy(url: string): Promise<CutProxy> {
  const target = new URL(url);
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((downstream) => {
    if (!open) return downstream.destroy();
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    for (const s of [downstream, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    downstream.pipe(upstream).pipe(downstream);
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("cutProxy: no port");
  const relayed = new URL(url);
  relayed.hostname = "127.0.0.1";
  relayed.port = String(address.port);
  return {
    url: relayed.toString(),
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
