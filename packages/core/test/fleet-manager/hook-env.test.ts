import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { verifyTimestamped } from "../../src/hooks/signature.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { writeAgents } from "../helpers/multi-fleet.js";
import { startReceiver } from "../hooks/receiver.js";

const SECRET = "hook-signing-secret-in-dot-env-42";

describe("a webhook hook's secret_env", () => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager;

  beforeAll(async () => {
    standin = await startStandin({ responder: script([textReply("done")]) });
    tmp = tempDir();
  });
  afterAll(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    await standin.close();
    tmp.cleanup();
  });

  it("is read from .env beside the fleet file, and the hook signs with a timestamp", async () => {
    const receiver = await startReceiver([{ status: 204 }]);
    writeAgents(tmp.dir, {
      worker:
        'default_prompt: "hi"\nruntime: cli\npermission_mode: acceptEdits\nhooks:\n  after_run:\n' +
        `    - { type: webhook, url: "${receiver.url}/done", secret_env: HOOK_SIGNING_SECRET }\n`,
    });
    writeFileSync(join(tmp.dir, ".env"), `HOOK_SIGNING_SECRET=${SECRET}\n`);
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    expect(fleet.fleet.warnings).toEqual([]);
    const job = await fleet.wait(fleet.trigger("worker").id);
    expect(job.status).toBe("completed");
    expect(job.hookErrors).toBeNull();
    expect(receiver.received).toHaveLength(1);
    const [request] = receiver.received;
    const check = verifyTimestamped(request!.body, SECRET, {
      signature: request!.headers["x-herdctl-signature"] as string,
      timestamp: request!.headers["x-herdctl-timestamp"] as string,
    });
    expect(check.ok).toBe(true);
    await receiver.close();
  });
});
