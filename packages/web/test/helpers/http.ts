import { request } from "node:http";

export interface Answer {
  /** 0 when the server closed the connection without answering. */
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Stream this many bytes in 64 KiB pieces, declared up front unless `chunked`. */
  size?: number;
  chunked?: boolean;
  /** The local address to send from (127.0.0.x are all this machine). */
  from?: string;
  /** A Unix socket to talk to instead of the base URL's host and port. */
  socketPath?: string;
  /**
   * Keep sending the whole body whatever the server answers, as a hostile client would; by
   * default sending stops as soon as the answer arrives, as a polite client facing a 413 does.
   */
  relentless?: boolean;
}

/** One raw HTTP request, with control over how its body arrives. */
export function send(base: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const url = new URL(base);
  const size = options.size ?? 0;
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers["content-length"] = String(Buffer.byteLength(options.body));
  else if (size && !options.chunked) headers["content-length"] = String(size);
  return new Promise((resolve, reject) => {
    let answer: Answer | undefined;
    const where = options.socketPath
      ? { socketPath: options.socketPath }
      : { host: url.hostname, port: url.port, localAddress: options.from };
    const req = request(
      {
        ...where,
        path,
        method: options.method ?? (options.body !== undefined || size ? "POST" : "GET"),
        headers,
      },
      (res) => {
        const received = { status: res.statusCode!, headers: res.headers, body: "" };
        answer = received;
        res.on("data", (c) => (received.body += c));
        res.on("end", () => {
          if (options.relentless) return;
          resolve(received);
          req.destroy();
        });
      },
    );
    req.on("error", (error) => {
      if (!answer && !options.relentless) reject(error);
    });
    if (options.relentless) req.on("close", () => resolve(answer ?? { status: 0, headers: {}, body: "" }));
    if (options.body !== undefined) return void req.end(options.body);
    const piece = Buffer.alloc(64 * 1024, "x");
    let sent = 0;
    const stopped = () => req.destroyed || (!options.relentless && answer !== undefined);
    const pump = () => {
      while (!stopped() && sent < size) {
        sent += piece.length;
        if (!req.write(piece)) return void req.once("drain", pump);
      }
      if (!stopped()) req.end();
    };
    pump();
  });
}
