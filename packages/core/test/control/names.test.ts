import { hang, type Standin, startStandin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../../src/control/api.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { writeAgents } from "../helpers/multi-fleet.js";

// Names that exist on every object's prototype: a plain `record[name]` lookup finds them.
const PROTOTYPE_NAMES = ["__proto__", "toString", "constructor", "hasOwnProperty"];

let standin: Standin;
let tmp: ReturnType<typeof tempDir>;
let fleet: FleetManager;

beforeAll(async () => {
  standin = await startStandin({ responder: () => hang() });
  tmp = tempDir();
  writeAgents(tmp.dir, {
    worker: 'default_prompt: "hi"\nschedules:\n  poll: { type: interval, interval: 1d, enabled: false }\n',
  });
  fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
  await fleet.start();
});
afterAll(async () => {
  await fleet.stop({ timeoutMs: 0 });
  await standin.close();
  tmp.cleanup();
});

async function call(api: ReturnType<typeof createApi>, method: string, path: string, body?: unknown) {
  const res = await api.request(path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe.each([
  ["the web API", {}],
  ["the control socket's API", { daemonControl: true }],
])("names from outside, through %s", (_where, options) => {
  const api = () => createApi(fleet, options);

  it.each(PROTOTYPE_NAMES)("%s is no agent, no schedule, and starts nothing", async (name) => {
    const expectations: Array<[string, string, unknown, number, string]> = [
      ["GET", `/api/agents/${name}`, undefined, 404, "FLEET_AGENT_NOT_FOUND"],
      ["POST", `/api/agents/${name}/trigger`, {}, 404, "FLEET_AGENT_NOT_FOUND"],
      ["POST", "/api/agents/worker/trigger", { schedule: name }, 404, "FLEET_SCHEDULE_NOT_FOUND"],
      ["POST", `/api/schedules/worker/${name}/enable`, undefined, 404, "FLEET_SCHEDULE_NOT_FOUND"],
      ["POST", `/api/schedules/worker/${name}/disable`, undefined, 404, "FLEET_SCHEDULE_NOT_FOUND"],
      ["POST", `/api/schedules/${name}/poll/enable`, undefined, 404, "FLEET_AGENT_NOT_FOUND"],
      ["GET", `/api/jobs/${name}`, undefined, 400, "STATE_INVALID_ID"],
      ["POST", `/api/jobs/${name}/cancel`, undefined, 400, "STATE_INVALID_ID"],
      ["POST", `/api/jobs/${name}/wait`, undefined, 400, "STATE_INVALID_ID"],
    ];
    for (const [method, path, body, status, code] of expectations) {
      const res = await call(api(), method, path, body);
      expect({ path, body, status: res.status, code: res.body.error?.code }).toEqual({
        path,
        body,
        status,
        code,
      });
    }
    // "__proto__" cannot be an agent name at all (names start with a letter or digit): a 400, not a 404.
    const filtered = await call(api(), "GET", `/api/jobs?agent=${encodeURIComponent(name)}`);
    expect(filtered.status).toBe(name === "__proto__" ? 400 : 200);
    expect(fleet.state.jobs.list({ limit: 100 }).jobs).toEqual([]);
    expect(fleet.state.schedules.list({ agent: "worker" }).map((s) => s.schedule)).toEqual(["poll"]);
  });

  it("an unknown schedule gets the nearest name", async () => {
    const res = await call(api(), "POST", "/api/schedules/worker/pol/enable");
    expect(res).toEqual({
      status: 404,
      body: {
        error: {
          code: "FLEET_SCHEDULE_NOT_FOUND",
          message: 'Agent worker has no schedule "pol". Did you mean: poll? Its schedules: poll',
        },
      },
    });
  });
});
