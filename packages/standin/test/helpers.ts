import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const CLAUDE_BIN = resolve(fileURLToPath(import.meta.url), "../../../../node_modules/.bin/claude");

export interface ParsedEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Splits an SSE body into events; fails loudly on lines the Anthropic format never has. */
export function parseSse(body: string): ParsedEvent[] {
  return body
    .split("\n\n")
    .filter((chunk) => chunk.trim() !== "")
    .map((chunk) => {
      const [eventLine, dataLine, ...extra] = chunk.split("\n");
      if (!eventLine?.startsWith("event: ") || !dataLine?.startsWith("data: ") || extra.length > 0) {
        throw new Error(`Unexpected SSE chunk: ${JSON.stringify(chunk)}`);
      }
      return { event: eventLine.slice(7), data: JSON.parse(dataLine.slice(6)) };
    });
}

export function messagesBody(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    messages: [{ role: "user", content: text }],
    ...extra,
  };
}

export function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "sk-secret-key", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `standin-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface ClaudeRun {
  code: number | null;
  lines: Array<Record<string, unknown>>;
  result: Record<string, unknown> | undefined;
  stderr: string;
}

/** Runs the real claude binary in print mode against `baseUrl`, with its own HOME. */
export async function runClaude(opts: {
  baseUrl: string;
  prompt: string;
  cwd: string;
  home: string;
  args?: string[];
  timeoutMs?: number;
  /** Over the defaults; an undefined value removes the variable. */
  env?: Record<string, string | undefined>;
}): Promise<ClaudeRun> {
  const env: Record<string, string | undefined> = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: opts.home,
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ANTHROPIC_API_KEY: "sk-test",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    ...opts.env,
  };
  const child = spawn(
    CLAUDE_BIN,
    [
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--model",
      "claude-sonnet-4-5",
      "--permission-mode",
      "acceptEdits",
      ...(opts.args ?? []),
    ],
    {
      cwd: opts.cwd,
      env: Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin.end(opts.prompt);
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((done) => child.on("close", (c) => done(c)));
  clearTimeout(timer);
  const lines = stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, lines, result: lines.find((l) => l["type"] === "result"), stderr };
}
