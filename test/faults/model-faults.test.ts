import { FleetManager } from "@herdctl/core";
import {
  dropConnection,
  errorReply,
  hang,
  malformed,
  type Responder,
  type Standin,
  startStandin,
  textReply,
} from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { scratch, writeFleetFiles } from "./helpers.js";

/**
 * The model misbehaves in every way the API can: each job must end on its own, in bounded time,
 * with a reason a user can act on, and the fleet must run the next job normally.
 */
let standin: Standin;
let fleet: FleetManager;
let cleanup: () => void;

beforeAll(async () => {
  const s = scratch("herdctl-faults-model-");
  cleanup = s.cleanup;
  // A job that overran would end "timed_out", so each case's expected exit reason is also its
  // time bound, and no wall-clock assertion depends on how busy the machine is. Only the hang
  // runs on an agent with a short inactivity_timeout: the model never answers, so the watchdog
  // is certain to end it, while a short watchdog on the other cases would race claude's start-up
  // and its retries on a busy machine.
  writeFleetFiles(s.dir, "modelfaults", {
    worker: "runtime: cli\ninactivity_timeout: 45s\ntimeout: 50s\n",
    hanger: "runtime: cli\ninactivity_timeout: 4s\ntimeout: 50s\n",
  });
  standin = await startStandin();
  fleet = new FleetManager({ config: s.dir, env: claudeEnv(standin, s.dir), watchConfig: false });
  await fleet.start();
});
afterAll(async () => {
  await fleet?.stop({ timeoutMs: 5_000 });
  await standin?.close();
  cleanup?.();
});

async function runWith(responder: Responder, agent = "worker") {
  standin.setResponder(responder);
  const started = Date.now();
  const job = await fleet.wait(fleet.trigger(agent, { prompt: "do the thing", fresh: true }).id);
  return { job, ms: Date.now() - started };
}

const OK = () => textReply("all good");

const cases: Array<{
  name: string;
  responder: Responder;
  status: string;
  exitReason: string;
  error: RegExp;
  /** The agent that runs the case; "worker" unless it needs a short watchdog. */
  agent?: string;
}> = [
  {
    name: "429 with retry-after",
    responder: () =>
      errorReply(429, "Number of requests has exceeded your rate limit", { retryAfterSeconds: 30 }),
    status: "failed",
    exitReason: "api_error",
    error: /429|rate limit/i,
  },
  {
    name: "500",
    responder: () => errorReply(500, "Internal server error"),
    status: "failed",
    exitReason: "api_error",
    error: /500|Internal server error/i,
  },
  {
    name: "529 overloaded",
    responder: () => errorReply(529, "Overloaded"),
    status: "failed",
    exitReason: "api_error",
    error: /529|Overloaded/i,
  },
  {
    name: "a stream cut mid-message",
    responder: () => dropConnection("I was saying somethi"),
    status: "failed",
    exitReason: "api_error",
    error: /Connection dropped \(ECONNRESET\)/,
  },
  {
    name: "a hang",
    agent: "hanger",
    responder: () => hang(),
    status: "timed_out",
    exitReason: "inactivity",
    error: /no output for 4s|inactiv/i,
  },
  {
    name: "a malformed event",
    responder: () => malformed(),
    status: "failed",
    exitReason: "api_error",
    error: /malformed response/,
  },
];

describe("model faults (real claude, CLI runtime, stand-in)", () => {
  // Each case triggers the same agent as the one before it, so a fault that left its slot, process
  // or session held would fail the next case; the last test checks both agents once more.
  for (const c of cases) {
    it(`ends the job on ${c.name} with a clear reason and the fleet keeps running`, async () => {
      const { job, ms } = await runWith(c.responder, c.agent);
      // Printed so a failing run shows what claude actually reported.
      console.log(`${c.name}: ${job.status}/${job.exitReason} in ${ms} ms: ${job.error}`);
      expect({ status: job.status, exitReason: job.exitReason }).toEqual({
        status: c.status,
        exitReason: c.exitReason,
      });
      expect(job.error).toMatch(c.error);
      expect(fleet.status().state).toBe("running");
    });
  }

  it("after every fault, each agent that met one runs its next job", async () => {
    for (const agent of new Set(cases.map((c) => c.agent ?? "worker"))) {
      const next = await runWith(OK, agent);
      expect(next.job.status).toBe("completed");
      expect(next.job.summary).toContain("all good");
    }
  });
});
