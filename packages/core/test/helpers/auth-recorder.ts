import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenAuth {
  path: string;
  apiKey?: string;
  authorization?: string;
  beta?: string;
}

/**
 * Sits in front of the stand-in (which redacts credentials in what it records) and remembers the
 * credential headers of every request before passing it on unchanged, streaming both ways.
 */
export async function startAuthRecorder(
  target: string,
): Promise<{ url: string; seen: SeenAuth[]; close(): Promise<void> }> {
  const seen: SeenAuth[] = [];
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === "string" ? value : undefined;
    };
    seen.push({
      path: req.url ?? "",
      apiKey: header("x-api-key"),
      authorization: header("authorization"),
      beta: header("anthropic-beta"),
    });
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.once("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
