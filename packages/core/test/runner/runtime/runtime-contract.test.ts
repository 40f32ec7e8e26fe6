import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  dropConnection,
  errorReply,
  hang,
  type Standin,
  script,
  startStandin,
  textReply,
  writeFile,
} from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isAlive } from "../../../../../test/setup/process-alive.js";
import { CLIRuntime } from "../../../src/runner/runtime/cli-runtime.js";
import { RuntimeError } from "../../../src/runner/runtime/errors.js";
import type { RuntimeInterface, RuntimeMessage } from "../../../src/runner/runtime/interface.js";
import { SDKRuntime } from "../../../src/runner/runtime/sdk-runtime.js";
import { TERMINATE_GRACE_MS } from "../../../src/runner/runtime/terminate.js";
import { claudeEnv, claudePath } from "../../helpers/claude-env.js";
import { tempDir, writeFleet } from "../../helpers/fleet.js";

async function collect(iterable: AsyncIterable<RuntimeMessage>): Promise<RuntimeMessage[]> {
  const out: RuntimeMessage[] = [];
  for await (const m of iterable) out.push(m);
  return out;
}

const runtimes: Array<[string, () => RuntimeInterface]> = [
  ["cli", () => new CLIRuntime({ claudePath })],
  ["sdk", () => new SDKRuntime({ claudePath })],
];

describe.each(runtimes)("%s runtime against the real claude", (_name, makeRuntime) => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    standin = await startStandin();
  });
  afterAll(async () => {
    await standin.close();
  });
  beforeEach(() => {
    tmp = tempDir();
    // mainRequests is derived from requests.
    standin.requests.length = 0;
  });
  afterEach(() => tmp.cleanup());

  async function run(
    prompt: string,
    extra: Partial<Parameters<RuntimeInterface["execute"]>[0]> = {},
    agentYaml = "model: claude-sonnet-4-5\npermission_mode: acceptEdits\n",
  ) {
    const { agent, workspace } = await writeFleet(tmp.dir, agentYaml);
    const messages = await collect(
      makeRuntime().execute({
        prompt,
        agent,
        signal: new AbortController().signal,
        env: claudeEnv(standin, tmp.dir),
        sessionId: crypto.randomUUID(),
        ...extra,
      }),
    );
    return { messages, workspace, agent };
  }

  // One conversation per behaviour: the first run carries every check of a plain successful run
  // (messages, a real tool call, the prompt as delivered, the key kept out), and the session runs
  // share one base session.
  it("yields init, a real Write tool call and its result, and a success result; delivers a hostile 200 KB prompt byte for byte and keeps the API key out", async () => {
    standin.setResponder(
      script([writeFile("notes/hello.txt", "written by claude\n"), textReply("Hello from the stand-in")]),
    );
    const line = "The quick brown fox jumps over the lazy dog 0123456789 ~!@#$%^&*()\n";
    const hostile =
      "Cost $1234 and `rm -rf /` or $(whoami) \"quoted\" 'single' back\\slash \\n literal\n" +
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal ${HOME} is the point.
      "second line\ttab — naïve café 日本語 🐑 ${HOME} %s\n\n-p --flag";
    // 200 KB in all, the hostile text last, so the prompt still ends in what looks like flags.
    const prompt = line.repeat(Math.ceil(200_000 / line.length)).slice(0, 200_000 - hostile.length) + hostile;
    const { messages, workspace } = await run(prompt);
    expect(messages[0]).toMatchObject({ type: "system", subtype: "init" });
    const result = messages.at(-1);
    expect(result).toMatchObject({ type: "result", subtype: "success", is_error: false });
    expect(result && "result" in result ? result.result : undefined).toBe("Hello from the stand-in");
    expect(standin.mainRequests[0]?.lastUserText).toBe(prompt);
    expect(standin.mainRequests[0]?.model).toBe("claude-sonnet-4-5");
    expect(readFileSync(join(workspace, "notes/hello.txt"), "utf8")).toBe("written by claude\n");
    // Wakes, tool failures and chat turns read tool calls and results from these messages, so the
    // tests of those features run on one runtime each.
    type Block = { type?: string; id?: string; name?: string; tool_use_id?: string };
    const lines = messages as unknown as Array<{ type: string; message?: { content?: unknown } }>;
    const blocks = (type: string) =>
      lines.flatMap((line) =>
        line.type === type && Array.isArray(line.message?.content)
          ? (line.message.content as Block[]).map((block) => ({ line, block }))
          : [],
      );
    const call = blocks("assistant").find(({ block }) => block.type === "tool_use");
    expect(call?.block).toMatchObject({ name: "Write" });
    const answer = blocks("user").find(({ block }) => block.type === "tool_result");
    expect(answer?.block.tool_use_id).toBe(call?.block.id);
    expect(answer?.line).toMatchObject({ session_id: messages[0]!.session_id });
    expect(answer?.line).toHaveProperty("tool_use_result");
    expect(JSON.stringify(messages)).not.toContain(claudeEnv(standin, tmp.dir).ANTHROPIC_API_KEY);
  });

  it("resumes a session (the model sees the earlier turns) and forks it into a new id", async () => {
    standin.setResponder(
      script([textReply("first answer"), textReply("second answer"), textReply("forked")]),
    );
    const sessionId = crypto.randomUUID();
    const first = await run("first question", { sessionId });
    expect(first.messages.at(-1)).toMatchObject({ session_id: sessionId });
    const second = await run("second question", { sessionId: undefined, resume: sessionId });
    const seen = standin.mainRequests.at(-1);
    const texts = JSON.stringify(seen?.messages);
    expect(texts).toContain("first question");
    expect(texts).toContain("first answer");
    expect(seen?.lastUserText).toBe("second question");
    expect(second.messages.at(-1)).toMatchObject({ type: "result", session_id: sessionId });

    const forkId = crypto.randomUUID();
    const fork = await run("fork question", { resume: sessionId, fork: true, sessionId: forkId });
    expect(fork.messages.at(-1)).toMatchObject({ type: "result", session_id: forkId });
    const forked = standin.mainRequests.at(-1);
    expect(JSON.stringify(forked?.messages)).toContain("first question");
    expect(forked?.lastUserText).toBe("fork question");
  });

  it("reports an API 500 as an error result carrying the API's message", async () => {
    standin.setResponder(() => errorReply(500, "the stand-in broke on purpose"));
    const { messages } = await run("fail please");
    const result = messages.at(-1);
    expect(result).toMatchObject({ type: "result", is_error: true });
    expect(JSON.stringify(result)).toContain("the stand-in broke on purpose");
  });

  it("reports 529 overloaded as an error result", async () => {
    standin.setResponder(() => errorReply(529, "Overloaded right now"));
    const { messages } = await run("overload please");
    expect(messages.at(-1)).toMatchObject({ type: "result", is_error: true });
    expect(JSON.stringify(messages.at(-1))).toContain("Overloaded");
  });

  it("ends a hung request with the inactivity watchdog and says so", async () => {
    standin.setResponder(() => hang());
    const error = await run("hang please", { inactivityTimeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeError);
    expect((error as RuntimeError).reason).toBe("inactivity");
    expect((error as RuntimeError).message).toBe(
      `claude (${makeRuntime().type} runtime) produced no output for 1.5 s: the inactivity watchdog ended it`,
    );
  });

  it("ends a run at the hard timeout", async () => {
    standin.setResponder(() => hang());
    const error = await run("hang please", { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect((error as RuntimeError).reason).toBe("timeout");
    expect((error as RuntimeError).message).toBe(
      `claude (${makeRuntime().type} runtime) timed out after 2 s: the agent's timeout ended it`,
    );
  });

  it("cancels promptly: the claude process is gone soon after the grace period", async () => {
    standin.setResponder(() => hang());
    const { agent } = await writeFleet(tmp.dir, "model: claude-sonnet-4-5\n");
    const controller = new AbortController();
    let pid: number | undefined;
    const started = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (standin.mainRequests.length > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    const running = collect(
      makeRuntime().execute({
        prompt: "wait forever",
        agent,
        signal: controller.signal,
        env: claudeEnv(standin, tmp.dir),
        onSpawn: (info) => {
          pid = info.pid;
        },
      }),
    ).catch((e: unknown) => e);
    await started;
    expect(pid).toBeGreaterThan(0);
    const t0 = Date.now();
    controller.abort();
    const error = await running;
    expect((error as RuntimeError).reason).toBe("cancelled");
    // The model never answers, so ending at all proves the cancel; the bound is SIGTERM's grace
    // plus room for a busy machine to reap the process, far below any hang.
    expect(Date.now() - t0).toBeLessThan(TERMINATE_GRACE_MS + 10_000);
    expect(isAlive(pid!)).toBe(false);
  });

  it("fails a run whose connection drops mid-stream, without a result", async () => {
    standin.setResponder(() => dropConnection());
    const outcome = await run("drop please").then(
      (r) => r.messages.at(-1),
      (e: unknown) => e,
    );
    // claude either reports the broken stream as an error result or exits without one.
    if (outcome instanceof RuntimeError) expect(outcome.reason).toBe("no_result");
    else expect(outcome).toMatchObject({ type: "result", is_error: true });
  });
});
