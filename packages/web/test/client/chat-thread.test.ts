import { describe, expect, it } from "vitest";
import { type Entry, threadFromMessages, threadFromOutput } from "../../src/client/chat-thread.js";
import type { ChatMessageRecord } from "../../src/client/types.js";
import { relativePath } from "../../src/client/workplace.js";

let nextId = 1;
function message(m: Partial<ChatMessageRecord> & Pick<ChatMessageRecord, "role">): ChatMessageRecord {
  return {
    id: nextId++,
    chatId: "c-test",
    jobId: "job-1",
    text: "",
    toolCalls: [],
    usage: null,
    costUsd: null,
    createdAt: "2026-12-01T00:00:00.000Z",
    ...m,
  };
}

const write = (path: string, isError = false) => ({
  id: `t-${path}`,
  name: "Write",
  input: { file_path: path, content: "x" },
  result: isError ? "refused" : "ok",
  ...(isError ? { isError } : {}),
});

// One turn of two assistant messages (text + a Write, then the answer), then a second turn.
const turns = [
  message({ role: "user", text: "write it" }),
  message({
    role: "assistant",
    text: "Writing.",
    toolCalls: [write("/w/a.md"), write("/w/denied.md", true)],
  }),
  message({
    role: "assistant",
    text: "Done.",
    usage: { inputTokens: 10, outputTokens: 5 },
    costUsd: 0.0125,
  }),
  message({ role: "user", text: "thanks", jobId: "job-2" }),
  message({ role: "assistant", text: "Welcome.", jobId: "job-2" }),
];

const kinds = (entries: Entry[]) => entries.map((e) => e.kind);

describe("the dashboard chat's thread (web.message_grouping)", () => {
  it("separate: one bubble per assistant message, each turn closed with its cost and written files", () => {
    const entries = threadFromMessages(turns, "separate");
    expect(kinds(entries)).toEqual([
      "user",
      "assistant",
      "assistant",
      "turn-end",
      "user",
      "assistant",
      "turn-end",
    ]);
    expect(entries[3]).toMatchObject({ jobId: "job-1", costUsd: 0.0125, tokens: 15, files: ["/w/a.md"] });
    expect(entries[6]).toMatchObject({ jobId: "job-2", costUsd: null, tokens: null, files: [] });
  });

  it("grouped: one bubble per turn, parts in the order they came", () => {
    const entries = threadFromMessages(turns, "grouped");
    expect(kinds(entries)).toEqual(["user", "assistant", "turn-end", "user", "assistant", "turn-end"]);
    const bubble = entries[1] as Extract<Entry, { kind: "assistant" }>;
    expect(bubble.parts.map((p) => (p.kind === "text" ? p.text : p.name))).toEqual([
      "Writing.",
      "Write",
      "Write",
      "Done.",
    ]);
  });

  it("puts each turn's answer under its question, though a queued message was stored first", () => {
    const asked = message({ role: "user", text: "first", jobId: "job-a" });
    const queued = message({ role: "user", text: "second", jobId: "job-b" });
    const answerA = message({ role: "assistant", text: "answer a", jobId: "job-a" });
    const answerB = message({ role: "assistant", text: "answer b", jobId: "job-b" });
    const entries = threadFromMessages([asked, queued, answerA, answerB], "separate");
    expect(
      entries.map((e) => (e.kind === "user" ? e.text : e.kind === "assistant" ? e.parts[0]?.key : e.kind)),
    ).toEqual(["first", `m${answerA.id}.t`, "turn-end", "second", `m${answerB.id}.t`, "turn-end"]);
  });

  it("streams a running turn: blocks of one API message share a bubble; a tool is running until its result", () => {
    const lines = [
      { line: 0, message: { type: "system", subtype: "init", model: "m" } },
      {
        line: 1,
        message: {
          type: "assistant",
          message: { id: "msg-1", content: [{ type: "text", text: "Looking." }] },
        },
      },
      {
        line: 2,
        message: {
          type: "assistant",
          message: {
            id: "msg-1",
            content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } }],
          },
        },
      },
      {
        line: 3,
        message: { type: "assistant", message: { id: "msg-2", content: [{ type: "text", text: "More." }] } },
      },
    ];
    const separate = threadFromOutput("job-3", lines, "separate");
    expect(kinds(separate)).toEqual(["assistant", "assistant"]);
    const first = separate[0] as Extract<Entry, { kind: "assistant" }>;
    expect(first.parts.map((p) => p.kind)).toEqual(["text", "tool"]);
    expect(first.parts[1]).not.toHaveProperty("result");
    expect(kinds(threadFromOutput("job-3", lines, "grouped"))).toEqual(["assistant"]);

    const finished = threadFromOutput(
      "job-3",
      [
        ...lines,
        {
          line: 4,
          message: {
            type: "user",
            message: { content: [{ type: "tool_result", tool_use_id: "t1", content: "a\nb" }] },
          },
        },
        { line: 5, message: { type: "result", is_error: true, result: "the model failed" } },
      ],
      "separate",
    );
    expect((finished[0] as Extract<Entry, { kind: "assistant" }>).parts[1]).toMatchObject({
      result: { text: "a\nb", error: false },
    });
    expect(finished.at(-1)).toMatchObject({ kind: "notice", error: true, text: "the model failed" });
  });

  it("offers only files inside the working directory (host, or /workspace in Docker)", () => {
    const host = { workingDirectory: "/srv/agent", docker: false };
    expect(relativePath("/srv/agent/out/a.md", host)).toBe("out/a.md");
    expect(relativePath("/srv/agent-other/a.md", host)).toBeUndefined();
    expect(relativePath("/workspace/a.md", host)).toBeUndefined();
    expect(relativePath("/workspace/a.md", { ...host, docker: true })).toBe("a.md");
    expect(relativePath("notes.md", host)).toBe("notes.md");
  });
});
