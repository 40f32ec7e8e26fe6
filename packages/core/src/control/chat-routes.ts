import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AuditActor } from "../audit/actor.js";
import { MAX_CHAT_MESSAGE_CHARS } from "../chat/service.js";
import { CHAT_SURFACES, type ChatSurface } from "../chat/types.js";
import type { FleetManager } from "../fleet-manager/fleet-manager.js";
import { apiError } from "./api-errors.js";
import { issueText, parsedBody } from "./request-body.js";

const Surface = z.enum(CHAT_SURFACES as [ChatSurface, ...ChatSurface[]]);
const Title = z.string().trim().min(1).max(200);

const CreateBody = z
  .object({ agent: z.string().min(1).max(200), title: Title.optional(), surface: Surface.optional() })
  .strict();
const RenameBody = z.object({ title: Title }).strict();
const MessageBody = z
  .object({
    text: z.string().trim().min(1).max(MAX_CHAT_MESSAGE_CHARS),
    whileBusy: z.enum(["queue", "interrupt"]).optional(),
  })
  .strict();
const ListQuery = z.object({
  agent: z.string().min(1).max(200).optional(),
  surface: Surface.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/**
 * Chats (docs/chat.md), served on the control socket and by the web server alike. A chat id in a
 * path is checked by the store before it is used; an unknown or malformed one is CHAT_NOT_FOUND.
 */
/** `actorOf` names who sent a request, for the audit trail (see api.ts). */
export function mountChatRoutes(app: Hono, fleet: FleetManager, actorOf: (c: Context) => AuditActor): void {
  app.get("/api/chats", (c) => {
    const query = ListQuery.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, "BAD_REQUEST", issueText(query.error));
    if (query.data.agent !== undefined) fleet.agent(query.data.agent);
    return c.json({ chats: fleet.chats(query.data) });
  });

  app.post("/api/chats", async (c) => {
    const body = await parsedBody(c.req.raw, CreateBody);
    if (!body.ok) return apiError(c, 400, "BAD_REQUEST", body.message);
    const { agent, ...options } = body.data;
    return c.json({ chat: fleet.createChat(agent, options) }, 201);
  });

  app.get("/api/chats/:id", (c) => {
    const id = c.req.param("id");
    return c.json({
      chat: fleet.chat(id),
      messages: fleet.chatMessages(id),
      approvals: fleet.chatApprovals(id),
    });
  });

  app.patch("/api/chats/:id", async (c) => {
    const body = await parsedBody(c.req.raw, RenameBody);
    if (!body.ok) return apiError(c, 400, "BAD_REQUEST", body.message);
    return c.json({ chat: fleet.renameChat(c.req.param("id"), body.data.title) });
  });

  app.delete("/api/chats/:id", async (c) => {
    await fleet.deleteChat(c.req.param("id"));
    return c.body(null, 204);
  });

  app.post("/api/chats/:id/messages", async (c) => {
    const body = await parsedBody(c.req.raw, MessageBody);
    if (!body.ok) return apiError(c, 400, "BAD_REQUEST", body.message);
    const sent = fleet.sendChatMessage(c.req.param("id"), body.data.text, {
      whileBusy: body.data.whileBusy,
      actor: actorOf(c),
    });
    return c.json(sent, 202);
  });

  app.post("/api/chats/:id/interrupt", async (c) => {
    const job = await fleet.interruptChat(c.req.param("id"));
    return c.json({ job: job ?? null });
  });
}
