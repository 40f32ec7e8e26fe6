import { hang, textReply, writeFile } from "@herdctl/standin";
import { expect } from "vitest";
import { describeRuntimes } from "../../../../test/setup/runtimes.js";
import { FleetError } from "../../src/fleet-manager/errors.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { isProcessAlive } from "../../src/state/index.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";
import { writeAgents } from "../helpers/multi-fleet.js";
import { until } from "../helpers/until.js";
import { memoryResponder, userTexts } from "./memory-responder.js";

const START = "2030-01-01T00:00:00.000Z";

function chatError(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof FleetError ? error.code : String(error);
  }
  return undefined;
}

// Chat turns run through the executor above the runtime; kept processes are live-processes.test.ts.
describeRuntimes("chats, %s runtime (real claude, stand-in API, fake clock)", (runtime, it) => {
  const fx = clockFleetFixture(START);

  async function startFleet(agentExtra = "", fleetExtra = "") {
    writeAgents(fx.tmp.dir, { chatter: `runtime: ${runtime}\n${agentExtra}` }, fleetExtra);
    const fleet = new FleetManager({
      config: fx.tmp.dir,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      watchConfig: false,
      clock: fx.clock,
    });
    fx.fleet = fleet;
    await fleet.start();
    return fleet;
  }

  const mainRequests = () => fx.standin.requests.filter((r) => !r.isSide);
  const notices = (f: FleetManager, jobId: string) =>
    f.jobOutput(jobId).flatMap((m) => (m.type === "herdctl" ? [(m as { text: string }).text] : []));

  it("a second message continues the chat's own session; the agent's job session is left alone", async () => {
    fx.standin.setResponder(memoryResponder());
    const f = await startFleet();
    const agentJob = await f.wait(f.trigger("chatter", { prompt: "remember agentword" }).id);
    expect(agentJob.status).toBe("completed");
    const agentSession = f.sessions("chatter")[0]!.sessionId;

    const chat = f.createChat("chatter", { surface: "terminal" });
    expect(chat).toMatchObject({
      agent: "chatter",
      title: "",
      surface: "terminal",
      sessionId: null,
      turns: 0,
    });
    const first = f.sendChatMessage(chat.id, "remember apple");
    expect(first.job).toMatchObject({ triggerType: "chat", agent: "chatter" });
    expect(first.chat.runningJobId).toBe(first.job.id);
    const one = await f.wait(first.job.id);
    expect(one).toMatchObject({ status: "completed", summary: "noted apple" });
    const two = await f.wait(f.sendChatMessage(chat.id, "what did I say?").job.id);
    expect(two).toMatchObject({ status: "completed", summary: "you said apple", sessionId: one.sessionId });

    expect(f.chat(chat.id)).toMatchObject({
      title: "remember apple",
      sessionId: one.sessionId,
      turns: 2,
      lastMessage: "you said apple",
      runningJobId: null,
      expired: false,
    });
    expect(one.sessionId).not.toBe(agentSession);
    // The follow-up went to the same claude process, kept between turns.
    expect(two.pid).toBe(one.pid);
    expect(isProcessAlive(one.pid!)).toBe(true);
    expect(f.chatMessages(chat.id).map((m) => [m.role, m.text, m.jobId])).toEqual([
      ["user", "remember apple", one.id],
      ["assistant", "noted apple", one.id],
      ["user", "what did I say?", two.id],
      ["assistant", "you said apple", two.id],
    ]);
    expect(f.chatMessages(chat.id)[1]!.usage).toMatchObject({ outputTokens: expect.any(Number) });

    // The agent's pointer still names its own session, and that conversation holds no chat turn.
    expect(f.sessions("chatter")[0]!.sessionId).toBe(agentSession);
    const agentAgain = await f.wait(
      f.trigger("chatter", { prompt: "what did I say?", resume: agentSession }).id,
    );
    expect(agentAgain).toMatchObject({ sessionId: agentSession, summary: "you said agentword" });
    // Stopping the fleet ends the chat's kept process.
    await f.stop({ timeoutMs: 0 });
    expect(isProcessAlive(one.pid!)).toBe(false);
  });

  it("pairs a tool call with its result in the turn's assistant messages", async () => {
    fx.standin.setResponder((_req, ctx) =>
      ctx.assistantTurns === 0 ? writeFile("notes.txt", "hello from chat") : textReply("wrote notes.txt"),
    );
    const f = await startFleet("allowed_tools: [Write]\n");
    const chat = f.createChat("chatter", { title: "Notes" });
    const job = await f.wait(f.sendChatMessage(chat.id, "write the notes").job.id);
    expect(job.status).toBe("completed");
    const assistant = f.chatMessages(chat.id).filter((m) => m.role === "assistant");
    expect(assistant).toHaveLength(2);
    expect(assistant[0]!.toolCalls).toEqual([
      {
        id: expect.any(String),
        name: "Write",
        input: { file_path: "notes.txt", content: "hello from chat" },
        result: expect.stringContaining("notes.txt"),
      },
    ]);
    expect(assistant[1]).toMatchObject({ text: "wrote notes.txt", toolCalls: [] });
    expect(f.chat(chat.id).title).toBe("Notes");
  });

  it("a message sent during a long silent turn waits behind it, then continues the session that turn made", async () => {
    fx.standin.setResponder(memoryResponder({ delayMs: (text) => (text.includes("slowly") ? 4000 : 0) }));
    // Two slots for the agent: only the chat's own lane keeps its turns in order.
    const f = await startFleet("instances: { max_concurrent: 2 }\n");
    const chat = f.createChat("chatter");
    const first = f.sendChatMessage(chat.id, "remember pear slowly").job;
    const second = f.sendChatMessage(chat.id, "what did I say?");
    expect(second.job.status).toBe("queued");
    expect(second.chat.runningJobId).toBe(first.id);
    const [one, two] = await Promise.all([f.wait(first.id), f.wait(second.job.id)]);
    expect(one).toMatchObject({ status: "completed", summary: "noted pear" });
    expect(two).toMatchObject({ status: "completed", summary: "you said pear", sessionId: one.sessionId });
    expect(Date.parse(two.startedAt!)).toBeGreaterThanOrEqual(Date.parse(one.finishedAt!));
    expect(f.chat(chat.id)).toMatchObject({ turns: 2, runningJobId: null });
  });

  // One chat for both: the delete's running turn is the kept claude of the interrupted turns' chat.
  it("interrupting cancels the running turn and keeps the chat; whileBusy interrupt does the same and runs the new message; renames and deletes a chat (a running turn is cancelled first); unknown and malformed ids are CHAT_NOT_FOUND", async () => {
    fx.standin.setResponder(
      memoryResponder({ extra: (req) => (req.lastUserText?.includes("stall") ? hang() : undefined) }),
    );
    const f = await startFleet();
    const chat = f.createChat("chatter", { surface: "web" });
    const stalled = f.sendChatMessage(chat.id, "stall here").job;
    const seen = () => mainRequests().some((r) => r.lastUserText?.includes("stall here"));
    await until(seen, "the stand-in received the stalled turn");
    const cancelled = await f.interruptChat(chat.id);
    expect(cancelled).toMatchObject({ id: stalled.id, status: "cancelled" });
    expect(f.chat(chat.id).runningJobId).toBeNull();
    expect(await f.interruptChat(chat.id)).toBeUndefined();

    const again = f.sendChatMessage(chat.id, "stall again").job;
    await until(() => mainRequests().some((r) => r.lastUserText?.includes("stall again")), "second stall");
    const next = f.sendChatMessage(chat.id, "remember fig", { whileBusy: "interrupt" }).job;
    expect((await f.wait(again.id)).status).toBe("cancelled");
    expect(await f.wait(next.id)).toMatchObject({ status: "completed", summary: "noted fig" });
    const answered = await f.wait(f.sendChatMessage(chat.id, "what did I say?").job.id);
    expect(answered.summary).toBe("you said fig");

    expect(f.renameChat(chat.id, "  Release   notes ").title).toBe("Release notes");
    expect(chatError(() => f.renameChat(chat.id, "  "))).toBe("CHAT_BAD_REQUEST");
    expect(chatError(() => f.sendChatMessage(chat.id, " \n"))).toBe("CHAT_BAD_REQUEST");
    expect(chatError(() => f.createChat("nobody"))).toBe("FLEET_AGENT_NOT_FOUND");
    expect(f.chats({ surface: "web" }).map((c) => c.id)).toEqual([chat.id]);
    expect(f.chats({ surface: "terminal" })).toEqual([]);

    const turn = f.sendChatMessage(chat.id, "stall forever").job;
    await until(() => mainRequests().some((r) => r.lastUserText?.includes("stall forever")), "stalled turn");
    const deleted: string[] = [];
    f.events.on("chat:deleted", ({ id }) => deleted.push(id));
    await f.deleteChat(chat.id);
    expect(f.job(turn.id)).toMatchObject({ status: "cancelled", triggerType: "chat" });
    expect(deleted).toEqual([chat.id]);
    expect(f.chats()).toEqual([]);
    for (const id of [chat.id, "c-0000000000000000", "../../etc/passwd", ""]) {
      expect(chatError(() => f.chat(id))).toBe("CHAT_NOT_FOUND");
      expect(chatError(() => f.sendChatMessage(id, "hi"))).toBe("CHAT_NOT_FOUND");
    }
    await expect(f.deleteChat(chat.id)).rejects.toMatchObject({ code: "CHAT_NOT_FOUND" });
  });

  it("an idle chat expires after web.session_expiry_hours: it stays readable, and its next message starts a fresh session and says so", async () => {
    fx.standin.setResponder(memoryResponder());
    const f = await startFleet("", "web: { session_expiry_hours: 2 }\n");
    expect(f.chatSettings()).toEqual({
      sessionExpiryHours: 2,
      toolResults: true,
      messageGrouping: "separate",
    });
    const chat = f.createChat("chatter");
    const one = await f.wait(f.sendChatMessage(chat.id, "remember plum").job.id);
    fx.clock.advance(2 * 3_600_000);
    expect(f.chat(chat.id).expired).toBe(false);
    fx.clock.advance(1);
    expect(f.chat(chat.id)).toMatchObject({ expired: true, sessionId: one.sessionId });
    expect(f.chatMessages(chat.id).map((m) => m.text)).toEqual(["remember plum", "noted plum"]);

    const two = await f.wait(f.sendChatMessage(chat.id, "what did I say?").job.id);
    expect(two).toMatchObject({ status: "completed", summary: "nothing to recall" });
    expect(two.sessionId).not.toBe(one.sessionId);
    expect(notices(f, two.id)).toContainEqual(
      expect.stringContaining(
        `idle for more than 2 h (web.session_expiry_hours), so its session ${one.sessionId} expired`,
      ),
    );
    expect(userTexts(mainRequests().at(-1)!)).toEqual(["what did I say?"]);
    expect(f.chat(chat.id)).toMatchObject({ expired: false, sessionId: two.sessionId, turns: 2 });
  });
});
