import { spawn } from "node:child_process";
import { join } from "node:path";
import { type Standin, textReply, toolUse } from "@herdctl/standin";
import { memoryResponder } from "../../../core/test/chat/memory-responder.js";
import { BIN, cleanEnv } from "./cli.js";

/**
 * What `herdctl chat` end to end tests share: the stand-in answers from the conversation the
 * request carries (memoryResponder), so a second turn that names the first one's word proves the
 * chat continued its session; "take your time N" holds a reply back N ms.
 */
export const chatResponder = memoryResponder({
  delayMs: (text) => Number(/take your time (\d+)/.exec(text)?.[1] ?? 0),
  extra: (req) => {
    const text = req.lastUserText ?? "";
    if (text.includes("fail now"))
      return { kind: "error", status: 400, shouldRetry: false, message: "the stand-in refuses this turn" };
    if (text.includes("retitle")) return textReply("title\u001b]0;pwned\u0007 clear\u001b[2J end");
    if (text.includes("run the tool"))
      return req.assistantTurnsSinceLastUserText === 0
        ? toolUse("Bash", { command: "echo chat-tool-ran", description: "say it ran" })
        : textReply("the tool ran");
    return undefined;
  },
});

/** The model settings of a chat in `dir`: the stand-in, and a claude config of the fleet's own. */
export function modelEnv(standin: Standin, dir: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: standin.url,
    ANTHROPIC_API_KEY: "sk-ant-test-chat-0123456789",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
    CLAUDE_CONFIG_DIR: join(dir, "claude-config"),
    NO_COLOR: "1",
  };
}

export interface Piped {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `printf 'lines' | herdctl chat ...` in `dir`. */
export function piped(standin: Standin, dir: string, args: string[], input: string): Promise<Piped> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: cleanEnv(modelEnv(standin, dir)),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

export interface TurnLine {
  chat: string;
  job: string;
  status: string;
  reply: string | null;
  durationMs: number | null;
}

/** The lines `herdctl --json chat` printed, one per turn. */
export const turnLines = (r: Piped): TurnLine[] =>
  r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as TurnLine);
