import { describe, expect, it } from "vitest";
import { envValue, formatIssue, loadFleet } from "../../src/config/index.js";
import { problems, writeFleet } from "./helpers.js";

const FLEET = `version: 1
agents:
  - path: agents/a.yaml
web: { auth_token_env: DASH_TOKEN }
webhooks: { secret_env: FLEET_HOOK_SECRET }
`;
const AGENT = `name: a
schedules:
  push: { type: webhook, secret_env: PUSH_SECRET }
hooks:
  after_run:
    - type: webhook
      url: https://hooks.example.com/x
      secret_env: OUT_SECRET
env:
  NOT_A_REFERENCE_env: plain
`;

describe("*_env references", () => {
  it("warn, with file:line:col and key, for each variable set neither in the environment nor in .env", async () => {
    const dir = writeFleet({
      "herdctl.yaml": FLEET,
      "agents/a.yaml": AGENT,
      ".env": "OUT_SECRET=from-dot-env\n",
    });
    const loaded = await loadFleet(dir, { env: { DASH_TOKEN: "a-long-enough-token-value" } });
    expect(loaded.warnings.map(formatIssue)).toEqual([
      "agents/a.yaml:3:38 schedules.push.secret_env: PUSH_SECRET is not set in the environment or in .env beside the fleet file\n" +
        "    hint: calls to this webhook schedule are refused with 503 until it is set: export PUSH_SECRET, or add a PUSH_SECRET=... line to .env",
      "herdctl.yaml:5:25 webhooks.secret_env: FLEET_HOOK_SECRET is not set in the environment or in .env beside the fleet file\n" +
        "    hint: webhook schedules without a secret_env of their own are refused with 503 until it is set: export FLEET_HOOK_SECRET, or add a FLEET_HOOK_SECRET=... line to .env",
    ]);
  });

  it("say nothing when every variable is set, in the environment or in .env", async () => {
    const dir = writeFleet({
      "herdctl.yaml": FLEET,
      "agents/a.yaml": AGENT,
      ".env": "OUT_SECRET=1\nPUSH_SECRET=2\nFLEET_HOOK_SECRET=3\n",
    });
    const loaded = await loadFleet(dir, { env: { DASH_TOKEN: "a-long-enough-token-value" } });
    expect(loaded.warnings).toEqual([]);
    // The value herdctl uses: the process environment first, then .env.
    expect(envValue(loaded, "PUSH_SECRET", {})).toBe("2");
    expect(envValue(loaded, "PUSH_SECRET", { PUSH_SECRET: "from-env" })).toBe("from-env");
    expect(envValue(loaded, "toString", {})).toBeUndefined();
  });
});

describe("webhook schedules without any secret", () => {
  it("warn at the schedule, unless the fleet's webhooks.secret_env covers them", async () => {
    const agent =
      "name: a\nschedules:\n  open: { type: webhook }\n  signed: { type: webhook, secret_env: S }\n  nightly: { type: cron, cron: '0 3 * * *' }\n";
    const bare = writeFleet({
      "herdctl.yaml": "version: 1\nagents:\n  - path: agents/a.yaml\n",
      "agents/a.yaml": agent,
    });
    expect((await loadFleet(bare, { env: { S: "x" } })).warnings.map(formatIssue)).toEqual([
      "agents/a.yaml:3:3 schedules.open: this webhook schedule has no secret, so every call to it is refused with 503\n" +
        "    hint: add secret_env: <VARIABLE> to it, or webhooks: { secret_env: <VARIABLE> } to the fleet file",
    ]);
    const covered = writeFleet({
      "herdctl.yaml": "version: 1\nwebhooks: { secret_env: S }\nagents:\n  - path: agents/a.yaml\n",
      "agents/a.yaml": agent,
    });
    expect((await loadFleet(covered, { env: { S: "x" } })).warnings).toEqual([]);
  });
});

describe("__proto__ as a key", () => {
  it("is an error at its position, not a silently vanished entry", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "version: 1\nagents:\n  - path: agents/a.yaml\n",
      "agents/a.yaml":
        "name: a\nschedules:\n  __proto__: { type: interval, interval: 1h }\n  toString: { type: interval, interval: 2h }\nenv:\n  __proto__: x\n",
    });
    expect(await problems(dir)).toEqual([
      'agents/a.yaml:3:3 schedules.__proto__: "__proto__" cannot be used as a name here',
      'agents/a.yaml:6:3 env.__proto__: "__proto__" cannot be used as a name here',
    ]);
  });
});
