import { describe, expect, it } from "vitest";
import { createApi } from "../../src/control/api.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";
import { writeAgents } from "../helpers/multi-fleet.js";
import { memoryResponder } from "./memory-responder.js";

describe("the chat routes of the HTTP API (real claude, stand-in API)", () => {
  const fx = clockFleetFixture("2030-01-01T00:00:00.000Z");

  async function api() {
    writeAgents(
      fx.tmp.dir,
      { chatter: "runtime: cli\n" },
      "web: { tool_results: false, message_grouping: grouped }\n",
    );
    const fleet = new FleetManager({
      config: fx.tmp.dir,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      watchConfig: false,
      clock: fx.clock,
    });
    fx.fleet = fleet;
    await fleet.start();
    const app = createApi(fleet);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await app.request(path, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: res.status, body: res.status === 204 ? null : await res.json() };
    };
    return { fleet, call };
  }

  it("creates, lists, sends, reads, renames, interrupts and deletes a chat", async () => {
    fx.standin.setResponder(memoryResponder());
    const { fleet, call } = await api();
    expect((await call("GET", "/api/fleet")).body.chat).toEqual({
      sessionExpiryHours: 24,
      toolResults: false,
      messageGrouping: "grouped",
    });
    const created = await call("POST", "/api/chats", { agent: "chatter", surface: "web" });
    expect(created.status).toBe(201);
    const id = created.body.chat.id as string;
    expect(id).toMatch(/^c-[a-z0-9]{16}$/);

    const sent = await call("POST", `/api/chats/${id}/messages`, { text: "remember lime" });
    expect(sent.status).toBe(202);
    expect(sent.body.job).toMatchObject({
      triggerType: "chat",
      status: expect.stringMatching(/queued|running/),
    });
    await fleet.wait(sent.body.job.id);
    const read = await call("GET", `/api/chats/${id}`);
    expect(read.body.chat).toMatchObject({ title: "remember lime", turns: 1, runningJobId: null });
    expect(read.body.messages.map((m: { role: string; text: string }) => `${m.role}: ${m.text}`)).toEqual([
      "user: remember lime",
      "assistant: noted lime",
    ]);
    expect((await call("GET", "/api/chats?agent=chatter&surface=web")).body.chats).toHaveLength(1);
    expect((await call("GET", "/api/chats?surface=terminal")).body.chats).toHaveLength(0);
    expect((await call("PATCH", `/api/chats/${id}`, { title: "Limes" })).body.chat.title).toBe("Limes");
    expect((await call("POST", `/api/chats/${id}/interrupt`)).body).toEqual({ job: null });
    expect((await call("DELETE", `/api/chats/${id}`)).status).toBe(204);
    expect((await call("GET", `/api/chats/${id}`)).status).toBe(404);
  });

  it("refuses bad bodies and ids with a code and a message naming the field", async () => {
    const { call } = await api();
    const bad = [
      [await call("POST", "/api/chats", { agent: "chatter", extra: 1 }), 400, /Unrecognized key.*extra/],
      [await call("POST", "/api/chats", { agent: "chatter", surface: "fax" }), 400, /surface/],
      [await call("POST", "/api/chats", "{not json"), 400, /not valid JSON/],
      [await call("POST", "/api/chats", { agent: "nobody" }), 404, /Agent "nobody" not found/],
      [await call("GET", "/api/chats/c-0000000000000000"), 404, /no chat/],
      [await call("GET", "/api/chats/..%2F..%2Fetc"), 404, /no chat/],
      [await call("GET", "/api/chats?surface=fax"), 400, /surface/],
    ] as const;
    for (const [res, status, message] of bad) {
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
    }
    const { body } = await call("POST", "/api/chats", { agent: "chatter" });
    const id = body.chat.id as string;
    const empty = await call("POST", `/api/chats/${id}/messages`, { text: "   " });
    expect(empty).toMatchObject({ status: 400, body: { error: { code: "BAD_REQUEST" } } });
    expect(empty.body.error.message).toMatch(/^text:/);
    const busy = await call("POST", `/api/chats/${id}/messages`, { text: "hi", whileBusy: "later" });
    expect(busy.body.error.message).toMatch(/^whileBusy:/);
    expect((await call("PATCH", `/api/chats/${id}`, { title: "" })).status).toBe(400);
  });
});
