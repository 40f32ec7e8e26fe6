import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hang, script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import type { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import type { AuditEntry } from "../../src/state/index.js";
import { fleetTestbed } from "../helpers/fleet-testbed.js";
import { until } from "../helpers/until.js";

const SECRET = "audit-secret-value-9f8e7d6c5b";

describe("audit trail of a running fleet (real claude, stand-in API)", () => {
  const bed = fleetTestbed();

  const oldestFirst = (f: FleetManager) => f.audit().reverse();
  const shape = (e: AuditEntry) => `${e.action} ${e.via}:${e.who} ${e.target ?? "-"}`;

  it("records who triggered, cancelled, edited schedules and reloaded, and what changed, with no secret", async () => {
    const { standin } = bed;
    standin.setResponder(script([textReply("ok")]));
    writeFileSync(join(bed.tmp.dir, ".env"), `API_TOKEN=${SECRET}\n`);
    const f = await bed.start(
      { base: `runtime: cli\nmodel: claude-sonnet-4-5\nenv: { API_TOKEN: "\${API_TOKEN}" }\n` },
      "",
      { actor: { via: "cli", who: "operator" } },
    );

    const alice = { via: "cli", who: "alice (uid 1001)" };
    const manual = f.trigger("base", { prompt: "hello", actor: alice });
    await f.wait(manual.id);

    // A schedule fires by itself: recorded with the schedule as the actor.
    await f.addSchedule(
      "base",
      "tick",
      { type: "interval", interval: "1s", prompt: "tick" },
      { actor: alice },
    );
    const fired: string[] = [];
    f.events.on("schedule:fired", (e) => fired.push(e.jobId));
    await until(() => fired.length >= 1, "the schedule fired");
    await f.removeSchedule("base", "tick", { via: "dashboard", who: "session 1234abcd from 127.0.0.1" });
    for (const id of fired) await f.wait(id);

    standin.setResponder(script([hang()]));
    const hung = f.trigger("base", { prompt: "never answered", actor: alice });
    await until(() => f.job(hung.id)?.status === "running", "the job runs");
    await f.cancel(hung.id, { force: true, actor: { via: "cli", who: "bob (uid 1002)" } });

    const file = join(bed.tmp.dir, "agents", "base.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("claude-sonnet-4-5", "claude-opus-4-1"));
    const reloaded = await f.reload(undefined, { via: "signal", who: "SIGHUP" });
    expect(reloaded.ok).toBe(true);

    const entries = oldestFirst(f);
    expect(entries.map(shape)).toEqual([
      "fleet.start cli:operator -",
      `job.trigger cli:alice (uid 1001) ${manual.id}`,
      "schedule.add cli:alice (uid 1001) base/tick",
      `job.trigger schedule:base/tick ${fired[0]}`,
      ...fired.slice(1).map((id) => `job.trigger schedule:base/tick ${id}`),
      "schedule.remove dashboard:session 1234abcd from 127.0.0.1 base/tick",
      `job.trigger cli:alice (uid 1001) ${hung.id}`,
      `job.cancel cli:bob (uid 1002) ${hung.id}`,
      "config.reload signal:SIGHUP -",
    ]);
    const reload = JSON.parse(entries.at(-1)!.detail!) as {
      before: string;
      after: string;
      changed: string[];
    };
    expect(reload.changed).toEqual(["agents.base.model"]);
    expect(reload.before).not.toBe(reload.after);
    expect(reload.before).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(entries.find((e) => e.action === "job.cancel")!.detail!)).toEqual({
      agent: "base",
      force: true,
    });
    // The agent's env holds the secret; neither hashes nor keys nor details carry it.
    expect(JSON.stringify(entries)).not.toContain(SECRET);
    expect(f.verifyAudit()).toEqual({ ok: true, checked: entries.length });

    // A refused reload is recorded too, with its reason.
    writeFileSync(file, "name: base\nworking_directory: ../workspace\nmodel: [\n");
    expect((await f.reload(undefined, { via: "file-watch", who: "a config file changed on disk" })).ok).toBe(
      false,
    );
    const rejected = f.audit({ limit: 1 })[0]!;
    expect(rejected).toMatchObject({ action: "config.rejected", via: "file-watch" });
    expect(JSON.parse(rejected.detail!).message).toContain("base.yaml");
  });
});
