import { afterEach, describe, expect, it } from "vitest";
import {
  errorReply,
  SCRIPT_EXHAUSTED_TEXT,
  type Standin,
  script,
  startStandin,
  textReply,
  toolUse,
  turnLimitText,
} from "../src/index.js";
import { post } from "./helpers.js";

let standin: Standin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

type Msg = { role: "user" | "assistant"; content: unknown };

async function ask(url: string, messages: Msg[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await post(url, "/v1/messages", { model: "claude-sonnet-4-5", max_tokens: 100, messages });
  return { status: res.status, body: await res.json() };
}

/** A conversation with `turns` finished assistant turns after the first prompt. */
function conversation(prompt: string, turns: number): Msg[] {
  const msgs: Msg[] = [{ role: "user", content: prompt }];
  for (let i = 0; i < turns; i++) {
    msgs.push({ role: "assistant", content: [{ type: "tool_use", id: `t${i}`, name: "Bash", input: {} }] });
    msgs.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `t${i}`, content: "ok" }] });
  }
  return msgs;
}

const textOf = (body: Record<string, unknown>) => (body["content"] as Array<{ text?: string }>)[0]?.text;

describe("script", () => {
  it("picks turns by the assistant turns already in the conversation, so resumes continue", async () => {
    standin = await startStandin({
      responder: script([textReply("one"), textReply("two"), textReply("three")]),
    });
    expect(textOf((await ask(standin.url, conversation("p", 0))).body)).toBe("one");
    // A resumed session replays its history: position 2, whatever came before in this process.
    expect(textOf((await ask(standin.url, conversation("other", 2))).body)).toBe("three");
    expect(textOf((await ask(standin.url, conversation("p", 1))).body)).toBe("two");
    expect(textOf((await ask(standin.url, conversation("p", 3))).body)).toBe(SCRIPT_EXHAUSTED_TEXT);
  });

  it("moves past a fault on the client's retry instead of failing forever", async () => {
    standin = await startStandin({
      responder: script([errorReply(529), toolUse("Bash", { command: "true" }), textReply("done")]),
    });
    expect((await ask(standin.url, conversation("p", 0))).status).toBe(529);
    const retry = await ask(standin.url, conversation("p", 0));
    expect(retry.body["stop_reason"]).toBe("tool_use");
    expect(textOf((await ask(standin.url, conversation("p", 1))).body)).toBe("done");
    // Faults are counted per conversation: a new prompt starts at the top again.
    expect((await ask(standin.url, conversation("fresh", 0))).status).toBe(529);
  });

  it("ends runaway loops with a plain text after maxTurnsPerConversation", async () => {
    standin = await startStandin({
      maxTurnsPerConversation: 3,
      responder: () => toolUse("Bash", { command: "true" }),
    });
    expect((await ask(standin.url, conversation("loop", 2))).body["stop_reason"]).toBe("tool_use");
    const capped = await ask(standin.url, conversation("loop", 3));
    expect(capped.body["stop_reason"]).toBe("end_turn");
    expect(textOf(capped.body)).toBe(
      "The herdctl stand-in stopped this conversation after 3 assistant turns.",
    );
    expect(turnLimitText(25)).toBe(
      "The herdctl stand-in stopped this conversation after 25 assistant turns.",
    );
  });

  it("setResponder swaps the script for later requests", async () => {
    standin = await startStandin({ responder: script([textReply("before")]) });
    expect(textOf((await ask(standin.url, conversation("p", 0))).body)).toBe("before");
    standin.setResponder(script([textReply("after")]));
    expect(textOf((await ask(standin.url, conversation("p", 0))).body)).toBe("after");
  });
});
