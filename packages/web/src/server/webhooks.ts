import {
  apiError,
  envValue,
  FleetError,
  type FleetManager,
  GITHUB_DELIVERY_HEADER,
  GITHUB_SIGNATURE_HEADER,
  nearestNames,
  ownValue,
  recordWebhookRejection,
  SIGNATURE_HEADER,
  SIGNATURE_TOLERANCE_SECONDS,
  TIMESTAMP_HEADER,
  verifySignature,
  verifyTimestamped,
} from "@herdctl/core/internal";
import type { Context, Hono } from "hono";
import { RateLimiter } from "./rate-limit.js";
import { ReplayGuard } from "./replay-guard.js";

export const MAX_WEBHOOK_BODY = 1024 * 1024;

/** GitHub deliveries carry no timestamp: their ids are remembered this long instead. */
const GITHUB_REPLAY_WINDOW_MS = 24 * 60 * 60 * 1000;

const TRIGGER_STATUS: Record<string, number> = {
  FLEET_AT_CAPACITY: 409,
  FLEET_OVER_BUDGET: 402,
  FLEET_STOPPING: 503,
  FLEET_NO_PROMPT: 400,
  FLEET_AGENT_NOT_FOUND: 404,
  FLEET_SCHEDULE_NOT_FOUND: 404,
  FLEET_QUEUE_FULL: 429,
  FLEET_USAGE_LIMITED: 429,
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
 * Records refusals in the state store (shown by `herdctl status <agent>` and the dashboard), at a
 * bounded rate per agent so a flood of bad calls cannot grow the database; the next recorded
 * refusal says how many were skipped.
 */
class RejectionLog {
  private readonly limiter = new RateLimiter(30, 30);
  private readonly suppressed = new Map<string, number>();

  constructor(private readonly fleet: FleetManager) {}

  record(agent: string | null, schedule: string, status: number, code: string, message: string): void {
    const key = agent ?? "";
    if (!this.limiter.take(key)) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return;
    }
    const suppressed = this.suppressed.get(key) ?? 0;
    this.suppressed.delete(key);
    try {
      recordWebhookRejection(this.fleet.state, agent, { schedule, status, code, message, suppressed });
    } catch {
      // A full disk must not turn a refusal into a 500; the answer to the caller is what matters.
    }
  }
}

/**
 * `POST /hooks/<agent>/<schedule>` runs a `type: webhook` schedule. The request must be signed with
 * the schedule's secret (herdctl's timestamped scheme, or GitHub's for `signature: github`), and
 * each delivery runs once; its JSON goes to the job as untrusted input after the schedule's prompt.
 */
export function mountWebhooks(
  app: Hono,
  fleet: FleetManager,
  env: NodeJS.ProcessEnv,
  limiter: RateLimiter,
  options: { now?: () => number } = {},
): void {
  const now = options.now ?? Date.now;
  const replays = new ReplayGuard(100_000, now);
  const rejections = new RejectionLog(fleet);

  app.post("/hooks/:agent/:schedule", async (c: Context) => {
    const agentName = c.req.param("agent")!;
    const scheduleName = c.req.param("schedule")!;
    const key = `${agentName}/${scheduleName}`;
    const agent = fleet.fleet.agents.find((a) => a.name === agentName);
    const refuse = (status: number, code: string, message: string) => {
      rejections.record(agent ? agent.name : null, scheduleName, status, code, message);
      return apiError(c, status, code, message);
    };

    const schedule = ownValue(agent?.schedules, scheduleName);
    if (schedule?.type !== "webhook") {
      const hooks = fleet.fleet.agents.flatMap((a) =>
        Object.entries(a.schedules ?? {})
          .filter(([, s]) => s.type === "webhook")
          .map(([name]) => `${a.name}/${name}`),
      );
      const near = nearestNames(key, hooks, { within: Math.max(2, Math.floor(key.length / 2)) });
      return refuse(
        404,
        "NOT_FOUND",
        `no webhook schedule at /hooks/${key}` +
          (near.length ? `; did you mean ${near.map((n) => `/hooks/${n}`).join(", ")}?` : ""),
      );
    }
    // A schedule's own secret_env wins; the fleet's webhooks.secret_env covers the rest.
    const secretEnv = schedule.secret_env ?? fleet.fleet.fleet.webhooks.secret_env;
    if (!secretEnv) {
      return refuse(
        503,
        "WEBHOOK_NO_SECRET",
        `schedule ${key} has no secret: set secret_env (on the schedule or under webhooks:) and that environment variable`,
      );
    }
    const secret = envValue(fleet.fleet, secretEnv, env);
    if (!secret) {
      return refuse(
        503,
        "WEBHOOK_NO_SECRET",
        `schedule ${key} is signed with the secret in ${secretEnv}, which is not set in herdctl's environment or in .env beside the fleet file; set it and restart herdctl`,
      );
    }
    let body: Uint8Array;
    try {
      body = await readLimited(c.req.raw, MAX_WEBHOOK_BODY);
    } catch (error) {
      if (error instanceof TooLarge)
        return refuse(413, "PAYLOAD_TOO_LARGE", `the body is over the ${MAX_WEBHOOK_BODY} byte limit`);
      throw error;
    }

    // From here to the trigger nothing awaits, so two copies of one delivery cannot both pass.
    // Every key must be new: herdctl's signature; or GitHub's delivery id and, since that id is not
    // signed, the body's signature too (a captured delivery resent under a made-up id).
    let replayKeys: Array<{ key: string; message: string }>;
    let expiresAt: number;
    // Names the delivery in the audit trail: GitHub's id, or a prefix of herdctl's signature.
    let delivery: string;
    if (schedule.signature === "github") {
      if (!verifySignature(body, secret, c.req.header(GITHUB_SIGNATURE_HEADER))) {
        return refuse(
          401,
          "BAD_SIGNATURE",
          "X-Hub-Signature-256 is missing or does not match: set the GitHub webhook's secret to this schedule's secret (sha256=<hex HMAC-SHA256 of the body>)",
        );
      }
      delivery = c.req.header(GITHUB_DELIVERY_HEADER)?.trim() ?? "";
      if (delivery === "" || delivery.length > 200) {
        return refuse(
          400,
          "MISSING_DELIVERY",
          "X-GitHub-Delivery is missing: GitHub sends a unique one with every delivery; other senders should use signature: herdctl",
        );
      }
      replayKeys = [
        {
          key: `${key}\0github\0${delivery}`,
          message: "this X-GitHub-Delivery was already accepted; a delivery runs once",
        },
        {
          key: `${key}\0github-body\0${c.req.header(GITHUB_SIGNATURE_HEADER)!.toLowerCase()}`,
          message:
            "this exact body was already accepted under another X-GitHub-Delivery; a resent delivery runs once",
        },
      ];
      expiresAt = now() + GITHUB_REPLAY_WINDOW_MS;
    } else {
      const signature = c.req.header(SIGNATURE_HEADER);
      const check = verifyTimestamped(
        body,
        secret,
        { signature, timestamp: c.req.header(TIMESTAMP_HEADER) },
        new Date(now()),
      );
      if (!check.ok && check.reason === "missing_timestamp") {
        return refuse(
          401,
          "MISSING_TIMESTAMP",
          'X-Herdctl-Timestamp is missing or not a number: send the current Unix time in seconds, and sign "<timestamp>.<body>" (see docs/web.md)',
        );
      }
      if (!check.ok && check.reason === "bad_signature") {
        return refuse(
          401,
          "BAD_SIGNATURE",
          'X-Herdctl-Signature is missing or does not match: send sha256=<hex HMAC-SHA256 of "<X-Herdctl-Timestamp>.<body>"> made with the schedule\'s secret',
        );
      }
      if (!check.ok) {
        return refuse(
          401,
          "STALE_TIMESTAMP",
          `X-Herdctl-Timestamp is ${Math.abs(check.skewSeconds ?? 0)} s ${(check.skewSeconds ?? 0) > 0 ? "in the past" : "in the future"}, more than the ${SIGNATURE_TOLERANCE_SECONDS} s allowed: sign each request when it is sent, and check the sender's clock`,
        );
      }
      replayKeys = [
        {
          key: `${key}\0herdctl\0${signature!.toLowerCase()}`,
          message:
            "this signed request was already accepted; sign each new request with a fresh X-Herdctl-Timestamp",
        },
      ];
      expiresAt = (check.timestamp + SIGNATURE_TOLERANCE_SECONDS + 1) * 1000;
      delivery = `signature ${signature!
        .toLowerCase()
        .replace(/^sha256=/, "")
        .slice(0, 12)}`;
    }
    const replayed = replayKeys.find((r) => replays.seen(r.key));
    if (replayed) return refuse(409, "REPLAYED", replayed.message);
    if (!limiter.take(key)) {
      c.header("retry-after", String(limiter.retryAfter(key)));
      return refuse(429, "RATE_LIMITED", `too many webhook calls for ${key}; try again later`);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body).toString("utf8"));
    } catch {
      return refuse(400, "BAD_REQUEST", "the request body is not valid JSON");
    }
    try {
      const job = fleet.trigger(agentName, {
        schedule: scheduleName,
        triggerType: "webhook",
        untrustedPayload: payload,
        actor: { via: "webhook", who: `${key} delivery ${delivery}` },
      });
      for (const r of replayKeys) replays.remember(r.key, expiresAt);
      return c.json({ jobId: job.id }, 202);
    } catch (error) {
      if (error instanceof FleetError)
        return refuse(TRIGGER_STATUS[error.code] ?? 400, error.code, error.message);
      throw error;
    }
  });
}
