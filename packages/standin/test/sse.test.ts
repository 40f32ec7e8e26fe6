import { afterEach, describe, expect, it } from "vitest";
import { type Standin, script, splitChunks, startStandin, textReply, toolUse } from "../src/index.js";
import { messagesBody, parseSse, post } from "./helpers.js";

let standin: Standin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

describe("streaming replies", () => {
  it("streams a text turn as the exact Anthropic event sequence", async () => {
    standin = await startStandin({
      responder: script([
        textReply("Hello there", { chunks: 3, usage: { input_tokens: 42, output_tokens: 7 } }),
      ]),
    });
    const res = await post(standin.url, "/v1/messages", messagesBody("hi", { stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = parseSse(await res.text());
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const e of events) expect(e.data["type"]).toBe(e.event);
    expect(events[0]!.data["message"]).toEqual({
      id: "msg_standin_000001",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: 42,
        output_tokens: 1,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
    expect(events[2]!.data).toEqual({
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    });
    const text = events
      .filter((e) => e.event === "content_block_delta")
      .map((e) => (e.data["delta"] as { text: string }).text);
    expect(text).toEqual(["Hell", "o th", "ere"]);
    expect(events[7]!.data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 7 },
    });
  });

  it("streams a tool_use turn with leading text and input_json_delta pieces", async () => {
    const input = { file_path: "hello.txt", content: "Hi\n" };
    standin = await startStandin({
      responder: script([toolUse("Write", input, { id: "toolu_fixed", text: "Writing.", chunks: 2 })]),
    });
    const res = await post(standin.url, "/v1/messages", messagesBody("go", { stream: true }));
    const events = parseSse(await res.text());
    expect(events.map((e) => `${e.event}:${e.data["index"] ?? ""}`)).toEqual([
      "message_start:",
      "ping:",
      "content_block_start:0",
      "content_block_delta:0",
      "content_block_delta:0",
      "content_block_stop:0",
      "content_block_start:1",
      "content_block_delta:1",
      "content_block_delta:1",
      "content_block_delta:1",
      "content_block_stop:1",
      "message_delta:",
      "message_stop:",
    ]);
    expect(events[6]!.data["content_block"]).toEqual({
      type: "tool_use",
      id: "toolu_fixed",
      name: "Write",
      input: {},
    });
    const json = events
      .slice(7, 10)
      .map((e) => (e.data["delta"] as { type: string; partial_json: string }).partial_json)
      .join("");
    expect(JSON.parse(json)).toEqual(input);
    expect((events[7]!.data["delta"] as { type: string }).type).toBe("input_json_delta");
    expect((events[11]!.data["delta"] as { stop_reason: string }).stop_reason).toBe("tool_use");
  });
});

describe("non-streaming replies", () => {
  it("returns a whole message for text and tool_use turns", async () => {
    standin = await startStandin({
      responder: (req) =>
        req.assistantTurns === 0
          ? toolUse("Bash", { command: "ls" })
          : textReply("Listed.", { usage: { output_tokens: 3 } }),
    });
    const first = await (await post(standin.url, "/v1/messages", messagesBody("list"))).json();
    expect(first).toEqual({
      id: "msg_standin_000001",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "tool_use", id: "toolu_standin_000001", name: "Bash", input: { command: "ls" } }],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: expect.objectContaining({ input_tokens: expect.any(Number), output_tokens: expect.any(Number) }),
    });
    const second = await (
      await post(standin.url, "/v1/messages", {
        ...messagesBody("list"),
        messages: [
          { role: "user", content: "list" },
          { role: "assistant", content: first.content },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "toolu_standin_000001", content: "a\nb" }],
          },
        ],
      })
    ).json();
    expect(second.content).toEqual([{ type: "text", text: "Listed." }]);
    expect(second.stop_reason).toBe("end_turn");
    expect(second.usage.output_tokens).toBe(3);
  });

  it("answers count_tokens and rejects unknown routes in the API error shape", async () => {
    standin = await startStandin();
    const count = await post(standin.url, "/v1/messages/count_tokens", messagesBody("count me"));
    expect(count.status).toBe(200);
    expect(await count.json()).toEqual({ input_tokens: expect.any(Number) });
    const missing = await fetch(`${standin.url}/v1/models`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      type: "error",
      error: { type: "not_found_error", message: "No route for GET /v1/models on the herdctl stand-in." },
    });
    expect(standin.mainRequests).toHaveLength(0);
    expect(standin.requests.map((r) => r.class)).toEqual([
      { kind: "side", reason: "count-tokens" },
      { kind: "side", reason: "unknown-route" },
    ]);
  });
});

describe("splitChunks", () => {
  it("never splits a surrogate pair and never makes more pieces than characters", () => {
    expect(splitChunks("a😀b😀", 4)).toEqual(["a", "😀", "b", "😀"]);
    expect(splitChunks("ab", 10)).toEqual(["a", "b"]);
    expect(splitChunks("", 3)).toEqual([""]);
  });
});
