import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  always,
  dropConnection,
  errorReply,
  hang,
  malformed,
  type Standin,
  startStandin,
  textReply,
} from "../src/index.js";
import { messagesBody, parseSse, post } from "./helpers.js";

/** The built stand-in (`npm run build`), for a process of its own that cannot load the sources. */
function builtStandin(): string {
  const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  const source = fileURLToPath(new URL("../src/reply.ts", import.meta.url));
  const built = fileURLToPath(new URL("../dist/reply.js", import.meta.url));
  if (!existsSync(dist) || statSync(built).mtimeMs < statSync(source).mtimeMs)
    throw new Error(
      "packages/standin/dist is missing or older than src/reply.ts: run npm run build, then this test",
    );
  return dist;
}

/** A stand-in delaying its reply 120 s, a request it holds, then close(); argv[1] is the built stand-in. */
const DELAYED_THEN_CLOSED = `
const { always, startStandin, textReply } = await import(process.argv[1]);
const { request } = await import("node:http");
const standin = await startStandin({ responder: always(textReply("late", { delayMs: 120000 })) });
const req = request(standin.url + "/v1/messages", { method: "POST", headers: { "content-type": "application/json" } });
req.on("error", () => {});
req.end(JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }));
while (standin.requests.length === 0) await new Promise((r) => setTimeout(r, 20));
await standin.close();
console.log("closed with a 120 s reply pending");
`;

let standin: Standin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

/** Raw HTTP so a cut connection shows as what arrived before the cut, not just a fetch error. */
function rawPost(url: string, body: unknown): Promise<{ status?: number; received: string; error?: string }> {
  return new Promise((resolve) => {
    let received = "";
    let status: number | undefined;
    const req = request(
      `${url}/v1/messages`,
      { method: "POST", headers: { "content-type": "application/json" } },
      (res) => {
        status = res.statusCode;
        res.on("data", (d: Buffer) => {
          received += d.toString();
        });
        res.on("end", () => resolve({ status, received }));
        res.on("error", (e) => resolve({ status, received, error: e.message }));
      },
    );
    req.on("error", (e) => resolve({ status, received, error: e.message }));
    req.end(JSON.stringify(body));
  });
}

describe("error turns", () => {
  it.each([
    [429, "rate_limit_error", "Slow down."],
    [500, "api_error", "Internal oops."],
    [529, "overloaded_error", "Overloaded."],
  ])("answers %i as %s in the Anthropic error shape", async (status, type, message) => {
    standin = await startStandin({ responder: always(errorReply(status, message)) });
    const res = await post(standin.url, "/v1/messages", messagesBody("hi", { stream: true }));
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({
      type: "error",
      error: { type, message },
      request_id: "req_standin_000000",
    });
    expect(res.headers.get("retry-after")).toBe(status === 429 ? "0" : null);
  });

  it("sends retry-after and x-should-retry when asked", async () => {
    standin = await startStandin({
      responder: always(errorReply(429, undefined, { retryAfterSeconds: 7, shouldRetry: false })),
    });
    const res = await post(standin.url, "/v1/messages", messagesBody("hi"));
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect((await res.json()).error.message).toBe("Rate limited by the herdctl stand-in.");
  });
});

describe("broken streams", () => {
  it("drop: sends the opening events, then cuts the connection", async () => {
    standin = await startStandin({ responder: always(dropConnection("Partial answ")) });
    const got = await rawPost(standin.url, messagesBody("hi", { stream: true }));
    expect(got.status).toBe(200);
    expect(got.error).toBe("aborted");
    const events = parseSse(got.received);
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      "content_block_delta",
    ]);
    expect(events[3]!.data["delta"]).toEqual({ type: "text_delta", text: "Partial answ" });
  });

  it("drop without streaming closes the socket before any response", async () => {
    standin = await startStandin({ responder: always(dropConnection()) });
    const got = await rawPost(standin.url, messagesBody("hi"));
    expect(got.status).toBeUndefined();
    expect(got.error).toBe("socket hang up");
  });

  it("malformed: a delta event whose data is not JSON", async () => {
    standin = await startStandin({ responder: always(malformed()) });
    const res = await post(standin.url, "/v1/messages", messagesBody("hi", { stream: true }));
    const body = await res.text();
    expect(res.status).toBe(200);
    const chunks = body.split("\n\n").filter((c) => c !== "");
    expect(chunks[0]!.startsWith("event: message_start\n")).toBe(true);
    const data = chunks[1]!.split("\n")[1]!.slice(6);
    expect(() => JSON.parse(data)).toThrow(SyntaxError);
  });

  it("hang: never answers, and close() destroys the open socket", async () => {
    const s = await startStandin({ responder: always(hang()) });
    let answered = false;
    const pending = rawPost(s.url, messagesBody("hi", { stream: true })).finally(() => {
      answered = true;
    });
    await expect.poll(() => s.requests.length, { timeout: 60_000 }).toBe(1);
    expect(answered).toBe(false);
    // The request never ends by itself, so close() returning at all proves it did not wait.
    await s.close();
    expect((await pending).error).toBe("socket hang up");
  });

  it("delays the first byte by delayMs", async () => {
    standin = await startStandin({ responder: always(textReply("late", { delayMs: 250 })) });
    const started = Date.now();
    const res = await post(standin.url, "/v1/messages", messagesBody("hi"));
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect((await res.json()).content[0].text).toBe("late");
  });

  it("a delayed reply whose client is gone holds nothing: the process exits once the stand-in is closed", async () => {
    // In a process of its own, whose exit is what is checked: a pending delay's timer kept
    // `herdctl start --offline` alive for the rest of the delay after its fleet had stopped.
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", DELAYED_THEN_CLOSED, builtStandin()],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    await expect.poll(() => out, { timeout: 60_000 }).toContain("closed with a 120 s reply pending");
    // Far less than the delay, far more than an exit takes on a loaded machine.
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r("alive"), 60_000)),
    ]);
    child.kill("SIGKILL");
    expect(code, out).toBe(0);
  });

  it("a throwing responder yields a 400 naming the failure", async () => {
    standin = await startStandin({
      responder: () => {
        throw new Error("script bug");
      },
    });
    const res = await post(standin.url, "/v1/messages", messagesBody("hi"));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toEqual({
      type: "invalid_request_error",
      message: "The stand-in responder threw: script bug",
    });
  });
});
