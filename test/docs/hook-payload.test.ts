import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { errorReply, type Standin, script, startStandin, textReply, writeFile } from "@herdctl/standin";
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EXIT_REASONS,
  HOOK_CONTEXT_FIELDS,
  TERMINAL_STATUSES,
} from "../../packages/core/src/hooks/context.js";
import { JobExecutor } from "../../packages/core/src/runner/job-executor.js";
import { StateManager, TRIGGER_TYPES } from "../../packages/core/src/state/index.js";
import { claudeEnv, claudePath } from "../../packages/core/test/helpers/claude-env.js";
import { tempDir, writeFleet } from "../../packages/core/test/helpers/fleet.js";
import { startReceiver } from "../../packages/core/test/hooks/receiver.js";
import { ROOT } from "./markdown.js";

type Json = Record<string, unknown>;
type SchemaNode = {
  properties?: Record<string, SchemaNode>;
  required?: string[];
  $ref?: string;
  enum?: unknown[];
};

const SCHEMA_PATH = join(ROOT, "docs", "hook-payload.schema.json");
const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as SchemaNode & {
  $defs: Record<string, SchemaNode>;
};
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(schema);

function problems(payload: unknown): string {
  return validate(payload) ? "" : JSON.stringify(validate.errors, null, 2);
}

/** Every property path the schema declares, parents before children, as HOOK_CONTEXT_FIELDS lists them. */
function schemaPaths(node: SchemaNode, prefix = ""): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => [
    prefix + key,
    ...schemaPaths(child, `${prefix}${key}.`),
  ]);
}

describe("docs/hook-payload.schema.json", () => {
  it("declares exactly the fields the code builds, with the code's value lists", () => {
    expect(schemaPaths(schema)).toEqual(Object.keys(HOOK_CONTEXT_FIELDS));
    expect(schema.$defs.terminalStatus!.enum).toEqual([...TERMINAL_STATUSES]);
    expect(schema.$defs.triggerType!.enum).toEqual([...TRIGGER_TYPES]);
    expect(schema.$defs.exitReason!.enum).toEqual([...EXIT_REASONS]);
    // What the schema leaves optional is what the payload leaves out when empty.
    const optional = Object.entries(HOOK_CONTEXT_FIELDS)
      .filter(([, field]) => field.optional)
      .map(([path]) => path);
    expect(optional).toEqual([
      "job.scheduleName",
      "result.error",
      "metadata",
      // The budget object is there only for budget_exceeded hooks; its fields come with it.
      "budget",
      "budget.scope",
      "budget.period",
      "budget.limit_usd",
      "budget.spent_usd",
      "budget.resets_at",
      // Likewise usage_limit, only for usage_limited hooks.
      "usage_limit",
      "usage_limit.credential",
      "usage_limit.resets_at",
      "usage_limit.source",
      "usage_limit.agents",
      // Likewise the approval object, only for approval_requested and approval_decided hooks.
      "approval",
      "approval.id",
      "approval.tool",
      "approval.input",
      "approval.rule",
      "approval.state",
      "approval.requested_at",
      "approval.expires_at",
      "approval.on_timeout",
      "approval.decided_by",
      "approval.decided_via",
      "approval.reason",
    ]);
    expect(schema.required).not.toContain("metadata");
    expect(schema.required).not.toContain("budget");
    expect(schema.required).not.toContain("usage_limit");
    expect(schema.required).not.toContain("approval");
    expect(schema.properties!.job!.required).not.toContain("scheduleName");
    expect(schema.properties!.result!.required).not.toContain("error");
  });

  it("is linked from the hooks documentation", () => {
    expect(readFileSync(join(ROOT, "docs", "configuration.md"), "utf8")).toContain(
      "(hook-payload.schema.json)",
    );
  });
});

describe("the payload real hooks receive", () => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const shell: Json[] = [];
  const webhook: Json[] = [];

  beforeAll(async () => {
    standin = await startStandin();
    receiver = await startReceiver([{ status: 204 }]);
    tmp = tempDir();
    const payloads = join(tmp.dir, "payloads");
    mkdirSync(payloads);
    // A shell hook and a webhook on the same agent: both must see the same JSON.
    const { agent } = await writeFleet(
      tmp.dir,
      `runtime: cli
permission_mode: acceptEdits
allowed_tools: [Bash]
schedules:
  nightly: { type: interval, interval: 1h }
hooks:
  after_run:
    - { type: shell, command: 'cat > ../payloads/"$HERDCTL_JOB_ID".json' }
    - { type: webhook, url: "${receiver.url}/hook", retries: 0 }
`,
    );
    const state = new StateManager(join(tmp.dir, ".herdctl"));
    state.open();
    const executor = new JobExecutor({ state, claudePath, env: claudeEnv(standin, tmp.dir) });
    try {
      standin.setResponder(
        script([
          writeFile("metadata.json", JSON.stringify({ shouldNotify: true, lowestPrice: 159.99 })),
          textReply("Price check complete: 159.99"),
        ]),
      );
      const completed = await executor.execute({
        agent,
        prompt: "check prices",
        triggerType: "schedule",
        schedule: "nightly",
      });
      expect(completed.status).toBe("completed");
      standin.setResponder(() => errorReply(400, "this request is refused"));
      const failed = await executor.execute({ agent, prompt: "again", triggerType: "manual" });
      expect(failed.status).toBe("failed");
      for (const job of [completed, failed]) {
        shell.push(JSON.parse(readFileSync(join(payloads, `${job.id}.json`), "utf8")) as Json);
      }
      webhook.push(...receiver.received.map((r) => JSON.parse(r.body) as Json));
    } finally {
      state.close();
    }
  });
  afterAll(async () => {
    await receiver?.close();
    await standin?.close();
    tmp?.cleanup();
  });

  it("matches the schema, from a shell hook and a webhook alike", () => {
    expect(shell).toHaveLength(2);
    expect(webhook).toHaveLength(2);
    for (const payload of [...shell, ...webhook]) expect(problems(payload)).toBe("");
    expect(webhook).toEqual(shell);
  });

  it("carries the reference herdctl's fields beside ours", () => {
    const [completed, failed] = shell as [Json, Json];
    expect(completed).toMatchObject({
      event: "completed",
      agent: { id: "worker", name: "worker" },
      triggerType: "schedule",
      job: { agentId: "worker", agent: "worker", scheduleName: "nightly", schedule: "nightly" },
      result: { success: true, output: "Price check complete: 159.99" },
      metadata: { shouldNotify: true, lowestPrice: 159.99 },
    });
    const job = completed.job as Json;
    expect(job.startedAt).toBe(job.started_at);
    expect(job.completedAt).toBe(job.finished_at);
    expect(job.durationMs).toBe(job.duration_ms);
    expect(completed.result).not.toHaveProperty("error");

    // The failed run wrote no metadata: the earlier file is not attributed to it.
    expect(failed).toMatchObject({ event: "failed", triggerType: "manual", result: { success: false } });
    expect((failed.result as Json).error).toContain("this request is refused");
    expect(failed).not.toHaveProperty("metadata");
    expect(failed.job).not.toHaveProperty("scheduleName");
  });

  it("is refused by the schema when a field is missing, mistyped or undeclared", () => {
    const payload = shell[0]!;
    const { result: _result, ...withoutResult } = payload;
    expect(problems(withoutResult)).toContain("result");
    expect(problems({ ...payload, result: { success: "yes", output: "" } })).toContain("boolean");
    expect(problems({ ...payload, surprise: 1 })).toContain("additionalProperties");
  });
});
