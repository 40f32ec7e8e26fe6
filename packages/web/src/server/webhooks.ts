import { apiError, FleetError, type FleetManager, verifySignature } from "@herdctl/core";
import type { Context, Hono } from "hono";
import type { RateLimiter } from "./rate-limit.js";

export const MAX_WEBHOOK_BODY = 1024 * 1024;

const TRIGGER_STATUS: Record<string, number> = {
  FLEET_AT_CAPACITY: 409,
  FLEET_STOPPING: 503,
  FLEET_NO_PROMPT: 400,
  FLEET_AGENT_NOT_FOUND: 404,
  FLEET_SCHEDULE_NOT_FOUND: 404,
};

class TooLarge extends Error {}

/** Reads the body up to `limit` bytes, stopping early so a huge upload is never buffered. */
async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) throw new TooLarge();
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new TooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * `POST /hooks/<agent>/<schedule>` runs a `type: webhook` schedule. The body must be signed with
 * the schedule's secret; its JSON goes to the job as untrusted input after the schedule's prompt.
 */
export function mountWebhooks(
  app: Hono,
  fleet: FleetManager,
  env: NodeJS.ProcessEnv,
  limiter: RateLimiter,
): void {
  app.post("/hooks/:agent/:schedule", async (c: Context) => {
    const agentName = c.req.param("agent")!;
    const scheduleName = c.req.param("schedule")!;
    const notFound = () =>
      apiError(c, 404, "NOT_FOUND", `no webhook schedule at /hooks/${agentName}/${scheduleName}`);
    const agent = fleet.fleet.agents.find((a) => a.name === agentName);
    const schedule = agent?.schedules?.[scheduleName];
    if (schedule?.type !== "webhook") return notFound();
    // A schedule's own secret_env wins; the fleet's webhooks.secret_env covers the rest.
    const secretEnv = schedule.secret_env ?? fleet.fleet.fleet.webhooks.secret_env;
    const secret = secretEnv ? env[secretEnv] : undefined;
    if (!secret) {
      return apiError(
        c,
        503,
        "WEBHOOK_NO_SECRET",
        `schedule ${agentName}/${scheduleName} has no secret: set secret_env (on the schedule or under webhooks:) and that environment variable`,
      );
    }
    let body: Uint8Array;
    try {
      body = await readLimited(c.req.raw, MAX_WEBHOOK_BODY);
    } catch (error) {
      if (error instanceof TooLarge)
        return apiError(c, 413, "PAYLOAD_TOO_LARGE", `the body is over the ${MAX_WEBHOOK_BODY} byte limit`);
      throw error;
    }
    if (!verifySignature(body, secret, c.req.header("x-herdctl-signature"))) {
      return apiError(
        c,
        401,
        "BAD_SIGNATURE",
        "X-Herdctl-Signature is missing or does not match: send sha256=<hex HMAC-SHA256 of the body>",
      );
    }
    const key = `${agentName}/${scheduleName}`;
    if (!limiter.take(key)) {
      c.header("retry-after", String(limiter.retryAfter(key)));
      return apiError(c, 429, "RATE_LIMITED", `too many webhook calls for ${key}; try again later`);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body).toString("utf8"));
    } catch {
      return apiError(c, 400, "BAD_REQUEST", "the request body is not valid JSON");
    }
    try {
      const job = fleet.trigger(agentName, {
        schedule: scheduleName,
        triggerType: "webhook",
        untrustedPayload: payload,
      });
      return c.json({ jobId: job.id }, 202);
    } catch (error) {
      if (error instanceof FleetError)
        return apiError(c, TRIGGER_STATUS[error.code] ?? 400, error.code, error.message);
      throw error;
    }
  });
}
