import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ChatMessageRecord, ChatRecord } from "@herdctl/core";
import { ControlClient } from "@herdctl/core/internal";
import { type Standin, startStandin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatResponder, modelEnv as modelEnvOf, piped as pipedTo, turnLines } from "../helpers/chat.js";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";
import { stopDaemon } from "../helpers/daemon.js";
import { TmuxSession } from "../helpers/tmux.js";

/**
 * `herdctl chat` end to end: the built binary, real claude, and the Anthropic API faked by the
 * stand-in (chatResponder in ../helpers/chat.ts). A turn silent for a minute is in
 * chat-silence.test.ts, which waits in the silences lane (vitest.config.ts).
 */
let standin: Standin;
/** One fleet run in-process by each chat, one run by a daemon; each with its own claude config. */
let local: { dir: string; remove: () => Promise<void> };
let served: { dir: string; remove: () => Promise<void> };
let daemon: ChildProcess | undefined;
const tmux = new TmuxSession(`herdctl-chat-${process.pid}`);

const modelEnv = (dir: string) => modelEnvOf(standin, dir);
const piped = (dir: string, args: string[], input: string) => pipedTo(standin, dir, args, input);

const chatIdIn = (stderr: string): string => {
  const id = stderr.match(/chat (c-\S+) with/)?.[1];
  if (!id) throw new Error(`no chat id in:\n${stderr}`);
  return id;
};

/** `herdctl chat greeter` on a tmux terminal in `dir`, and ways to read its screen. */
function onScreen(dir: string) {
  tmux.kill();
  tmux.start(
    dir,
    ["env", "-u", "FORCE_COLOR", "TERM=xterm-256color", process.execPath, BIN, "chat", "greeter"],
    { cols: 160, rows: 50 },
    Object.entries(cleanEnv(modelEnv(dir)))
      .filter(([k]) => k.startsWith("ANTHROPIC_") || k.startsWith("CLAUDE_") || k === "NO_COLOR")
      .map(([k, v]) => `${k}=${v}`),
  );
  const screen = () => tmux.screen({ history: 500 });
  return {
    screen,
    saw: (pattern: RegExp, what: string, timeoutMs?: number) =>
      until(() => pattern.test(screen()), what, timeoutMs),
    count: (pattern: RegExp) => screen().match(new RegExp(pattern, "g"))?.length ?? 0,
  };
}

/** Resolves once the stand-in has been asked `text`: the turn is under way, its reply held back. */
const heldTurnArrived = (text: string) =>
  until(
    () => standin.mainRequests.some((r) => r.lastUserText?.includes(text)),
    "the held turn reaching the model",
  );

beforeAll(async () => {
  assertBuilt();
  standin = await startStandin({ responder: chatResponder });
  local = await tempDir("herdctl-chat-");
  served = await tempDir("herdctl-chatd-");
  await writeFleet(local.dir);
  await writeFleet(served.dir);
});
afterAll(async () => {
  tmux.kill();
  if (daemon) await stopDaemon(daemon);
  await standin.close();
  await local.remove();
  await served.remove();
});

describe("herdctl chat in-process (Anthropic stand-in)", () => {
  let chatId: string;

  it("on a terminal: two turns that build on each other, a tool call, history, Ctrl-C interrupts, /exit", async () => {
    const { screen, saw, count } = onScreen(local.dir);
    await saw(/chat c-\S+ with greeter/, "the chat's id");
    chatId = screen().match(/chat (c-\S+) with greeter/)![1]!;
    expect(screen()).toContain("in this process");
    await saw(/you›\s*$/m, "the prompt");

    tmux.keys("remember pelican", "Enter");
    await saw(/noted pelican/, "the first reply");
    await saw(/job-\S+ completed/, "the first turn's end");
    // The open chat runs the fleet; a second command running it too is told what holds it.
    const second = await herdctl(["chats"], { cwd: local.dir, env: modelEnv(local.dir) });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /another herdctl command \(pid \d+\) is running this fleet in its own process/,
    );

    tmux.keys("what did I say?", "Enter");
    await saw(/you said pelican/, "the second reply, from the session's history");
    await until(() => count(/job-\S+ completed/) === 2, "the second turn's end");

    // A tool call is one line, shown as it happens.
    tmux.keys("run the tool", "Enter");
    await saw(/→ Bash echo chat-tool-ran/, "the tool call's line");
    await until(() => count(/job-\S+ completed/) === 3, "the tool turn's end");

    // The model's control characters are shown, not obeyed.
    tmux.keys("retitle the window", "Enter");
    await saw(/title␛]0;pwned␇ clear␛\[2J end/, "the reply's escapes, made visible");
    await until(() => count(/job-\S+ completed/) === 4, "that turn's end");

    // Up walks back through what was sent.
    tmux.keys("Up");
    await saw(/you› retitle the window$/m, "the last message recalled");
    tmux.keys("Up", "Up", "Up");
    await saw(/you› remember pelican$/m, "the first message recalled");
    tmux.keys("C-u");

    // Ctrl-C stops a turn whose reply the stand-in holds back; the chat stays open.
    tmux.keys("take your time 600000", "Enter");
    await heldTurnArrived("take your time 600000");
    tmux.keys("C-c");
    await saw(/interrupting the reply/, "the interrupt notice");
    await saw(/interrupted \(job-\S+\); the chat goes on/, "the interrupted turn's end");
    await until(() => /you›\s*$/m.test(screen().trimEnd().split("\n").at(-1) ?? ""), "the prompt again");
    expect(tmux.exited()).toBe(false);

    tmux.keys("/exit", "Enter");
    await until(() => tmux.exited(), "the chat to exit");
    expect(screen()).toContain(`herdctl chat greeter --resume ${chatId}`);
    // The held reply never came: the only answer naming the word is the second turn's.
    expect(count(/you said pelican/)).toBe(1);

    const { chats } = json<{ chats: Array<{ id: string; turns: number; surface: string }> }>(
      await herdctl(["--json", "chats"], { cwd: local.dir, env: modelEnv(local.dir) }),
    );
    expect(chats.find((c) => c.id === chatId)).toMatchObject({ surface: "terminal" });
  });

  it("--resume from a pipe continues the same conversation", async () => {
    const r = await piped(local.dir, ["chat", "greeter", "--resume", chatId], "what did I say?\n");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("you said pelican\n");
    expect(chatIdIn(r.stderr)).toBe(chatId);

    const wrong = await piped(local.dir, ["chat", "scribe", "--resume", chatId], "hello\n");
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`chat ${chatId} is with greeter, not scribe`);

    const unknown = await piped(local.dir, ["chat", "greeter", "--resume", "c-0000000000000000"], "hello\n");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no chat "c-0000000000000000"; herdctl chats lists them');
  });

  it("from a pipe: one message per line, each reply printed; --json lines; a failed turn exits 1", async () => {
    const r = await piped(local.dir, ["chat", "scribe"], "remember heron\n\nwhat did I say?\n");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("noted heron\nyou said heron\n");
    expect(r.stderr).toContain("in this process");

    const j = await piped(local.dir, ["--json", "chat", "scribe"], "remember ibis\nwhat did I say?\n");
    expect(j.code, j.stderr).toBe(0);
    const lines = turnLines(j);
    expect(lines.map((l) => [l.status, l.reply])).toEqual([
      ["completed", "noted ibis"],
      ["completed", "you said ibis"],
    ]);
    expect(new Set(lines.map((l) => l.chat)).size).toBe(1);

    const failed = await piped(local.dir, ["chat", "scribe"], "fail now\nwhat did I say?\n");
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/message 1 \(job job-\S+\) failed.*the lines after it were not sent/);
    expect(failed.stdout).toBe("");
  });
});

/** A chat and its messages as the daemon serving `served` keeps them. */
function chatThroughDaemon(id: string): Promise<{ chat: ChatRecord; messages: ChatMessageRecord[] }> {
  return new ControlClient(join(served.dir, ".herdctl", "herdctl.sock")).call("GET", `/api/chats/${id}`);
}

describe("herdctl chat through a daemon (Anthropic stand-in)", () => {
  beforeAll(async () => {
    daemon = spawn(process.execPath, [BIN, "start"], {
      cwd: served.dir,
      env: cleanEnv(modelEnv(served.dir)),
      stdio: "ignore",
    });
    await until(
      () => existsSync(join(served.dir, ".herdctl", "herdctl.sock")),
      "the daemon's control socket",
    );
  });

  it("a piped chat runs its turns in the daemon; chats lists, renames and removes it", async () => {
    const r = await piped(served.dir, ["chat", "greeter"], "remember osprey\nwhat did I say?\n");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("noted osprey\nyou said osprey\n");
    expect(r.stderr).toContain("through the daemon");
    const id = chatIdIn(r.stderr);

    const list = await herdctl(["chats"], { cwd: served.dir });
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+greeter\\s+remember osprey\\s+2\\s`));
    const renamed = await herdctl(["chats", "rename", id, "Bird", "words"], { cwd: served.dir });
    expect(renamed.stdout).toBe(`chat ${id} is now "Bird words"\n`);
    const { chats } = json<{ chats: Array<{ id: string; title: string }> }>(
      await herdctl(["--json", "chats", "--agent", "greeter"], { cwd: served.dir }),
    );
    expect(chats.find((c) => c.id === id)?.title).toBe("Bird words");

    const resumed = await piped(served.dir, ["chat", "greeter", "--resume", id], "what did I say?\n");
    expect(resumed.stdout).toBe("you said osprey\n");

    expect((await herdctl(["chats", "rm", id], { cwd: served.dir })).stdout).toBe(`chat ${id} deleted\n`);
    const gone = await herdctl(["chats"], { cwd: served.dir });
    expect(gone.stdout).not.toContain(id);
  });

  it("on a terminal: Ctrl-C interrupts a turn in the daemon, the conversation goes on, Ctrl-C at the prompt leaves", async () => {
    const { screen, saw, count } = onScreen(served.dir);
    await saw(/chat c-\S+ with greeter \(new, through the daemon\)/, "the chat through the daemon");
    const id = screen().match(/chat (c-\S+) with greeter/)![1]!;
    await saw(/you›\s*$/m, "the prompt");
    tmux.keys("remember wren", "Enter");
    await saw(/noted wren/, "the first reply");
    await until(() => count(/job-\S+ completed/) === 1, "the first turn's end");

    tmux.keys("take your time 600000", "Enter");
    await heldTurnArrived("take your time 600000");
    tmux.keys("C-c");
    await saw(/interrupted \(job-\S+\); the chat goes on/, "the interrupted turn's end");
    tmux.keys("what did I say?", "Enter");
    await saw(/you said wren/, "a reply from the session the interrupted turn left");
    await until(() => count(/job-\S+ completed/) === 2, "that turn's end");

    tmux.keys("C-c");
    await until(() => tmux.exited(), "the chat to exit");
    // On a line of its own, not after the prompt it left.
    expect(screen()).toMatch(
      new RegExp(`^chat ${id} kept; continue it with: herdctl chat greeter --resume ${id}$`, "m"),
    );
    const { chat, messages } = await chatThroughDaemon(id);
    expect(chat.turns).toBe(3);
    expect(messages.filter((m) => m.role === "user").map((m) => m.text)).toEqual([
      "remember wren",
      "take your time 600000",
      "what did I say?",
    ]);
  });
});
