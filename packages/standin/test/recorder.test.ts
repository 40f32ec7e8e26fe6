import { afterEach, describe, expect, it } from "vitest";
import {
  classifyRequest,
  REDACTED,
  RecordedRequest,
  type Standin,
  startStandin,
  textReply,
} from "../src/index.js";
import { messagesBody, post } from "./helpers.js";

let standin: Standin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

describe("recording", () => {
  it("stores method, path, redacted headers and byte-exact texts", async () => {
    standin = await startStandin({ responder: () => textReply("ok") });
    const body = {
      model: "claude-haiku-4-5",
      max_tokens: 100,
      system: [
        { type: "text", text: "You are  terse.\n" },
        { type: "text", text: "Second block" },
      ],
      messages: [
        { role: "user", content: "first prompt" },
        { role: "assistant", content: [{ type: "text", text: "answer" }] },
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>\nctx\n</system-reminder>" },
            { type: "text", text: "  Exact  text\twith tabs\n" },
          ],
        },
      ],
    };
    await post(standin.url, "/v1/messages?beta=true", body, { authorization: "Bearer sk-ant-very-secret" });
    const [rec] = standin.requests;
    expect(rec!.method).toBe("POST");
    expect(rec!.path).toBe("/v1/messages?beta=true");
    expect(rec!.pathname).toBe("/v1/messages");
    expect(rec!.headers["x-api-key"]).toBe(REDACTED);
    expect(rec!.headers["authorization"]).toBe(REDACTED);
    expect(JSON.stringify(standin.requests)).not.toContain("secret");
    expect(rec!.model).toBe("claude-haiku-4-5");
    expect(rec!.systemBlocks).toEqual(["You are  terse.\n", "Second block"]);
    expect(rec!.systemText).toBe("You are  terse.\n\n\nSecond block");
    expect(rec!.lastUserText).toBe("  Exact  text\twith tabs\n");
    expect(rec!.messages).toEqual(body.messages);
    expect(rec!.assistantTurns).toBe(1);
    expect(rec!.turn).toEqual({ kind: "text", text: "ok" });
  });

  it("finds the human prompt behind tool results and counts turns since it", () => {
    const rec = new RecordedRequest(
      0,
      "POST",
      "/v1/messages",
      {},
      JSON.stringify({
        messages: [
          { role: "user", content: [{ type: "text", text: "do it" }] },
          { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "done" }] },
        ],
      }),
    );
    expect(rec.lastUserText).toBe("do it");
    expect(rec.assistantTurnsSinceLastUserText).toBe(1);
    expect(rec.toolResults).toEqual([{ type: "tool_result", tool_use_id: "t1", content: "done" }]);
  });

  it("keeps unparseable bodies raw and answers them with a 400", async () => {
    standin = await startStandin();
    const res = await post(standin.url, "/v1/messages", "{not json");
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toBe("Request body must be a JSON object.");
    expect(standin.requests[0]!.rawBody).toBe("{not json");
    expect(standin.requests[0]!.body).toBeUndefined();
  });
});

describe("side requests", () => {
  const classify = (path: string, body: Record<string, unknown> | undefined, method = "POST") =>
    classifyRequest({
      method,
      pathname: path,
      body,
      systemText: typeof body?.["system"] === "string" ? (body["system"] as string) : "",
    });

  it("classifies Claude Code's helper calls by their exact prompts", () => {
    expect(classify("/api/hello", undefined, "HEAD")).toEqual({ kind: "side", reason: "connectivity-check" });
    expect(classify("/v1/messages", messagesBody("quota", { max_tokens: 1 }))).toEqual({
      kind: "side",
      reason: "quota-probe",
    });
    expect(
      classify(
        "/v1/messages",
        messagesBody("<session>\nx\n</session>", {
          system:
            'Name it.\n\nReturn JSON with a single "title" field. Capitalize the first letter of the title.',
        }),
      ),
    ).toEqual({ kind: "side", reason: "session-title" });
    expect(
      classify("/v1/messages", messagesBody("Write me a title", { system: "You write titles." })),
    ).toEqual({
      kind: "main",
    });
  });

  it("answers side requests without consuming scripted turns", async () => {
    const seen: string[] = [];
    standin = await startStandin({
      responder: (req) => {
        seen.push(req.lastUserText ?? "");
        return textReply(`main ${seen.length}`);
      },
    });
    const hello = await fetch(`${standin.url}/api/hello`, { method: "HEAD" });
    expect(hello.status).toBe(200);
    const quota = await post(standin.url, "/v1/messages", messagesBody("quota", { max_tokens: 1 }));
    expect((await quota.json()).content).toEqual([{ type: "text", text: "ok" }]);
    const main = await post(standin.url, "/v1/messages", messagesBody("real prompt"));
    expect((await main.json()).content).toEqual([{ type: "text", text: "main 1" }]);
    expect(seen).toEqual(["real prompt"]);
    expect(standin.requests).toHaveLength(3);
    expect(standin.mainRequests.map((r) => r.lastUserText)).toEqual(["real prompt"]);
  });
});
