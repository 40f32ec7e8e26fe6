import { DIRECTIVE_HELP } from "./directives.js";
import { UsageError } from "./errors.js";
import { offlineResponder } from "./offline.js";
import { type Standin, startStandin } from "./server.js";

export const STANDIN_USAGE = "Usage: herdctl standin [--port <port>] [--host <host>]";

export interface StandinCommandOptions {
  port: number;
  host: string;
  help: boolean;
}

export function parseStandinArgs(argv: readonly string[]): StandinCommandOptions {
  const out: StandinCommandOptions = { port: 0, host: "127.0.0.1", help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value. ${STANDIN_USAGE}`);
      return v;
    };
    if (flag === "--port" || flag === "-p") {
      const raw = value();
      const port = Number(raw);
      if (!/^\d+$/.test(raw) || port > 65535) {
        throw new UsageError(`--port must be a number from 0 to 65535, got "${raw}".`);
      }
      out.port = port;
    } else if (flag === "--help" || flag === "-h") {
      out.help = true;
    } else if (flag === "--host") {
      out.host = value();
    } else {
      throw new UsageError(`Unknown argument "${arg}". ${STANDIN_USAGE}`);
    }
  }
  return out;
}

export interface RunStandinIo {
  /** Where the banner goes (default: process.stdout). */
  write?: (text: string) => void;
  /** Stops the server; defaults to the first SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** Called once the server listens (tests use it to reach the URL). */
  onListening?: (standin: Standin) => void;
}

/**
 * `herdctl standin`: serve the offline responder until interrupted, so any claude process or
 * Agent SDK app can be pointed at it with ANTHROPIC_BASE_URL. Resolves with the exit code.
 */
export async function runStandinCommand(argv: readonly string[], io: RunStandinIo = {}): Promise<number> {
  const write = io.write ?? ((t: string) => void process.stdout.write(t));
  const opts = parseStandinArgs(argv);
  if (opts.help) {
    write(`${STANDIN_USAGE}\n\n${DIRECTIVE_HELP}\n`);
    return 0;
  }
  const standin = await startStandin({ port: opts.port, host: opts.host, responder: offlineResponder });
  write(
    `herdctl stand-in listening on ${standin.url}\n` +
      `  ANTHROPIC_BASE_URL=${standin.url} ANTHROPIC_API_KEY=any claude -p "hello"\n` +
      `  Script replies with "@standin ..." lines in the prompt. Ctrl-C stops.\n`,
  );
  io.onListening?.(standin);
  await new Promise<void>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      io.signal.addEventListener("abort", () => resolve(), { once: true });
      return;
    }
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await standin.close();
  write(`herdctl stand-in stopped after ${standin.requests.length} requests.\n`);
  return 0;
}
