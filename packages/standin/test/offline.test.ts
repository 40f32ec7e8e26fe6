import { afterEach, describe, expect, it } from "vitest";
import { offlineGreeting, offlineResponder, type Standin, startStandin } from "../src/index.js";
import { post } from "./helpers.js";

let standin: Standin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

type Msg = { role: "user" | "assistant"; content: unknown };
interface Reply {
  status: number;
  body: {
    content: Array<{
      type: string;
      text?: string;
      name?: string;
      input?: Record<string, unknown>;
      id?: string;
    }>;
    stop_reason: string;
    error?: { type: string; message: string };
  };
  headers: Headers;
}

/** Plays the client: sends the conversation, feeds tool results back until a final text. */
async function ask(url: string, messages: Msg[]): Promise<Reply> {
  const res = await post(url, "/v1/messages", { model: "claude-sonnet-4-5", max_tokens: 100, messages });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

function withToolResult(messages: Msg[], reply: Reply): Msg[] {
  const tool = reply.body.content.find((b) => b.type === "tool_use")!;
  return [
    ...messages,
    { role: "assistant", content: reply.body.content },
    { role: "user", content: [{ type: "tool_result", tool_use_id: tool.id, content: "ok" }] },
  ];
}

describe("offlineResponder", () => {
  it("greets and quotes the start of the prompt", async () => {
    standin = await startStandin({ responder: offlineResponder });
    const reply = await ask(standin.url, [
      { role: "user", content: "Summarise the   open issues\nin the tracker please" },
    ]);
    expect(reply.body.content).toEqual([
      {
        type: "text",
        text: `Hi! This is herdctl's offline stand-in, not Claude: no model was called. You asked: "Summarise the open issues in the tracker please"`,
      },
    ]);
    expect(offlineGreeting("x".repeat(70))).toBe(
      `Hi! This is herdctl's offline stand-in, not Claude: no model was called. You asked: "${"x".repeat(60)}…"`,
    );
    expect(offlineGreeting("@standin delay 1")).toBe(
      "Hi! This is herdctl's offline stand-in, not Claude: no model was called. Your prompt held only @standin directives.",
    );
  });

  it("write, bash and turns become tool calls in order, then the final text", async () => {
    standin = await startStandin({ responder: offlineResponder });
    const prompt =
      "Go\n@standin write out/a.txt line1\\nline2\n@standin turns 1\n@standin bash echo hi\n@standin text All done.";
    let messages: Msg[] = [{ role: "user", content: prompt }];
    const calls: Array<[string, Record<string, unknown>]> = [];
    for (let i = 0; i < 5; i++) {
      const reply = await ask(standin.url, messages);
      if (reply.body.stop_reason !== "tool_use") {
        expect(reply.body.content).toEqual([{ type: "text", text: "All done." }]);
        break;
      }
      const tool = reply.body.content.find((b) => b.type === "tool_use")!;
      calls.push([tool.name!, tool.input!]);
      messages = withToolResult(messages, reply);
    }
    expect(calls).toEqual([
      ["Write", { file_path: "out/a.txt", content: "line1\nline2" }],
      [
        "Bash",
        {
          command: "echo 'herdctl stand-in turn 1 of 1'",
          description: "Run a command scripted by the herdctl stand-in",
        },
      ],
      ["Bash", { command: "echo hi", description: "Run a command scripted by the herdctl stand-in" }],
    ]);
  });

  it("error fails every attempt and tells the client not to retry", async () => {
    standin = await startStandin({ responder: offlineResponder });
    const messages: Msg[] = [{ role: "user", content: "@standin error 529 Capacity gone" }];
    for (let i = 0; i < 2; i++) {
      const reply = await ask(standin.url, messages);
      expect(reply.status).toBe(529);
      expect(reply.headers.get("x-should-retry")).toBe("false");
      expect(reply.body.error).toEqual({ type: "overloaded_error", message: "Capacity gone" });
    }
  });

  it("flaky and drop fail one attempt each, then the retry gets the reply", async () => {
    standin = await startStandin({ responder: offlineResponder });
    const messages: Msg[] = [{ role: "user", content: "@standin flaky 429\n@standin text recovered" }];
    const first = await ask(standin.url, messages);
    expect(first.status).toBe(429);
    expect(first.headers.get("x-should-retry")).toBeNull();
    expect((await ask(standin.url, messages)).body.content[0]!.text).toBe("recovered");

    const dropped = [{ role: "user" as const, content: "@standin drop\n@standin text second try" }];
    await expect(post(standin.url, "/v1/messages", { max_tokens: 10, messages: dropped })).rejects.toThrow(
      "fetch failed",
    );
    expect((await ask(standin.url, dropped)).body.content[0]!.text).toBe("second try");
  });

  it("delay applies to every reply of the prompt", async () => {
    standin = await startStandin({ responder: offlineResponder });
    const started = Date.now();
    const reply = await ask(standin.url, [
      { role: "user", content: "@standin delay 200\n@standin text slow" },
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(reply.body.content[0]!.text).toBe("slow");
  });

  it("answers a bad directive with a text naming the problem", async () => {
    standin = await startStandin({ responder: offlineResponder });
    const reply = await ask(standin.url, [{ role: "user", content: "@standin explode" }]);
    expect(reply.status).toBe(200);
    expect(reply.body.content[0]!.text).toBe(
      `herdctl's offline stand-in could not follow your prompt. Invalid stand-in directive "@standin explode": unknown directive "explode"; use write, bash, turns, wakeup, text, delay, flaky, drop, error or hang.`,
    );
  });

  it("each new prompt of a conversation gets its own plan", async () => {
    standin = await startStandin({ responder: offlineResponder });
    const reply = await ask(standin.url, [
      { role: "user", content: "@standin text first" },
      { role: "assistant", content: [{ type: "text", text: "first" }] },
      { role: "user", content: "@standin text second" },
    ]);
    expect(reply.body.content[0]!.text).toBe("second");
  });
});
