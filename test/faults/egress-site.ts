import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/** The word the page carries, so a test can tell the page's text reached the model's side. */
export const PAGE_MARKER = "egress-page-marker-7Hq2";
/** The one branch of the git repository at /repo.git (git's dumb HTTP protocol). */
export const GIT_REF = "0123456789abcdef0123456789abcdef01234567";

/**
 * A stand-in for the outside world on the host's 127.0.0.1, reached by proxy-only containers
 * only through herdctl's egress proxy: a streamable-HTTP MCP server with one tool (`echo`) at
 * /mcp, a web page at /page, a git repository at /repo.git (its refs only) and, at /hold, a
 * stream that sends `holdBytes` and then stays open.
 * The same routes answer on a plain-HTTP port and an HTTPS one (WebFetch upgrades every http://
 * URL to https://), the latter with a self-signed certificate for `tlsName`.
 * It records every request and every tool call, so a test can say what got through.
 */
export interface EgressSite {
  readonly port: number;
  readonly tlsPort: number;
  /** The HTTPS port's certificate (its own CA), for NODE_EXTRA_CA_CERTS in the container. */
  readonly certificate: string;
  /** "METHOD path" of each request, in arrival order. */
  readonly requests: string[];
  /** The `word` argument of each echo tool call. */
  readonly toolCalls: string[];
  /** Resolves once /hold has sent its bytes. */
  readonly holdSent: Promise<void>;
  close(): Promise<void>;
}

const MCP_TOOLS = [
  {
    name: "echo",
    description: "Answers with the word it is given",
    inputSchema: { type: "object", properties: { word: { type: "string" } }, required: ["word"] },
  },
];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
    });
    req.once("end", () => resolve(body));
    req.once("error", reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** One JSON-RPC message of the MCP streamable-HTTP transport, answered as plain JSON. */
function mcpAnswer(
  message: { id?: unknown; method?: string; params?: Record<string, unknown> },
  calls: string[],
) {
  switch (message.method) {
    case "initialize":
      return {
        protocolVersion: (message.params?.["protocolVersion"] as string | undefined) ?? "2025-06-18",
        capabilities: { tools: {} },
        serverInfo: { name: "egress-site", version: "1.0.0" },
      };
    case "ping":
      return {};
    case "tools/list":
      return { tools: MCP_TOOLS };
    case "tools/call": {
      const word = String((message.params?.["arguments"] as { word?: unknown } | undefined)?.word ?? "");
      calls.push(word);
      return { content: [{ type: "text", text: `the egress site echoes ${word}` }] };
    }
    default:
      return undefined;
  }
}

/** A throwaway self-signed certificate for `name`; openssl gets an argument array, no shell. */
function selfSigned(dir: string, name: string): { key: string; cert: string } {
  const key = join(dir, "site-key.pem");
  const cert = join(dir, "site-cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-keyout",
      key,
      "-out",
      cert,
      "-subj",
      `/CN=${name}`,
      "-addext",
      `subjectAltName=DNS:${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

export async function startEgressSite(opts: {
  /** Where the certificate is made. */
  dir: string;
  tlsName: string;
  holdBytes?: number;
}): Promise<EgressSite> {
  const holdBytes = opts.holdBytes ?? 256 * 1024;
  const requests: string[] = [];
  const toolCalls: string[] = [];
  let markHoldSent!: () => void;
  const holdSent = new Promise<void>((resolve) => {
    markHoldSent = resolve;
  });
  const handler: RequestListener = async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/mcp") {
      if (req.method !== "POST") {
        // The transport lets a server without a standalone event stream say so.
        res.writeHead(405, { allow: "POST" }).end();
        return;
      }
      const message = JSON.parse(await readBody(req));
      if (message.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const result = mcpAnswer(message, toolCalls);
      json(
        res,
        200,
        result === undefined
          ? {
              jsonrpc: "2.0",
              id: message.id,
              error: { code: -32601, message: `no method ${message.method}` },
            }
          : { jsonrpc: "2.0", id: message.id, result },
      );
      return;
    }
    if (path === "/page") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<html><head><title>Egress page</title></head><body><p>${PAGE_MARKER}</p></body></html>`);
      return;
    }
    if (path === "/repo.git/info/refs") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${GIT_REF}\trefs/heads/main\n`);
      return;
    }
    if (path === "/hold") {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(Buffer.alloc(holdBytes, 0x61), () => markHoldSent());
      // Never ended: the job's end is what closes it.
      return;
    }
    res.writeHead(404).end();
  };
  const tls = selfSigned(opts.dir, opts.tlsName);
  const servers = [createServer(handler), createTlsServer(tls, handler)];
  const [port, tlsPort] = await Promise.all(servers.map(listen));
  return {
    port: port!,
    tlsPort: tlsPort!,
    certificate: tls.cert,
    requests,
    toolCalls,
    holdSent,
    close: async () => {
      await Promise.all(
        servers.map((server) => {
          server.closeAllConnections();
          return new Promise((resolve) => server.close(resolve));
        }),
      );
    },
  };
}
