import { chownSync, cpSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_GID, IMAGE_UID } from "../../core/src/docker/runtime-image.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../core/test/docker/runtime-image-fixture.js";
import { assertBuilt, herdctl, json, tempDir } from "./helpers/cli.js";

/**
 * Every example fleet must validate and run a job offline, so an example can never rot. Docker
 * agents really run in Docker; host networking lets their containers reach the stand-in on 127.0.0.1.
 */

const EXAMPLES = fileURLToPath(new URL("../../../examples/", import.meta.url));
// The secrets the examples' READMEs have the reader set (in .env or exported): with one unset,
// config validate warns, as it should.
const ENV = {
  HERDCTL_EXAMPLE_NETWORK: "host",
  DEPLOY_WEBHOOK_SECRET: "example-webhook-secret",
  TRIAGER_WEBHOOK_SECRET: "example-triager-secret",
  PRODUCTION_ALERT_SECRET: "example-alert-secret",
};

/** The agent whose job each example runs; a new example must add its own line. */
const AGENT_TO_RUN: Record<string, string> = {
  demo: "greeter",
  "cost-optimised": "summariser",
  development: "reviewer",
  production: "triager",
  mixed: "builder",
  "getting-started": "reporter",
};

const examples = readdirSync(EXAMPLES).filter((name) => existsSync(join(EXAMPLES, name, "herdctl.yaml")));

interface ResolvedFleet {
  fleet: { name: string };
  agents: Array<{ name: string; working_directory: string; docker?: { enabled?: boolean } }>;
}

interface JobResult {
  id: string;
  agent: string;
  status: string;
  error?: string | null;
}

describe("example fleets", () => {
  const fleets = new Set<string>();

  beforeAll(async () => {
    assertBuilt();
    await ensureRuntimeImage();
  }, IMAGE_TIMEOUT_MS);

  afterAll(async () => {
    for (const fleet of fleets) await removeFleetContainers(fleet);
  });

  it("covers every example folder", () => {
    expect(examples).toEqual(
      expect.arrayContaining([
        "cost-optimised",
        "development",
        "production",
        "mixed",
        "demo",
        "getting-started",
      ]),
    );
    for (const name of examples) expect(AGENT_TO_RUN[name], `add ${name} to AGENT_TO_RUN`).toBeDefined();
  });

  // The demo predates this rule and is explained in the main README.
  it.each(examples.filter((name) => name !== "demo"))("%s has a README", (name) => {
    expect(readFileSync(join(EXAMPLES, name, "README.md"), "utf8")).toMatch(/^# /);
  });

  it.each(examples)(
    "%s validates and runs one job offline (getting-started: validates; its own test runs it)",
    async (name) => {
      const tmp = await tempDir(`herdctl-example-${name}-`);
      try {
        const dir = join(tmp.dir, name);
        // Runs write state, logs and files; they must never land in the repository.
        cpSync(join(EXAMPLES, name), dir, {
          recursive: true,
          filter: (src) => !src.split("/").includes(".herdctl") && !src.endsWith(".log"),
        });

        const shown = json<ResolvedFleet>(
          await herdctl(["-c", dir, "--json", "config", "show"], { cwd: tmp.dir, env: ENV }),
        );
        fleets.add(shown.fleet.name);
        const agent = shown.agents.find((a) => a.name === AGENT_TO_RUN[name]);
        expect(agent, `agent ${AGENT_TO_RUN[name]} in ${name}`).toBeDefined();
        // The container user is uid 1000, as on a real machine where a user owns the workspace.
        if (process.getuid?.() === 0) {
          for (const a of shown.agents) {
            if (a.docker?.enabled && statSync(a.working_directory).uid === 0)
              chownSync(a.working_directory, IMAGE_UID, IMAGE_GID);
          }
        }

        // The only warning allowed is the one this test asks for: host networking, so offline
        // containers reach the stand-in.
        const validate = await herdctl(["-c", dir, "config", "validate"], { cwd: tmp.dir, env: ENV });
        const warnings = validate.stderr.split("\n").filter(Boolean);
        expect(warnings.filter((w) => !/docker\.network: host shares the host's network/.test(w))).toEqual(
          [],
        );
        expect(validate.code).toBe(0);
        // getting-started.test.ts runs this fleet's every agent, offline, as its doc says.
        if (name === "getting-started") return;

        const run = await herdctl(["-c", dir, "--json", "trigger", agent!.name, "--offline", "--wait"], {
          cwd: tmp.dir,
          env: ENV,
          timeoutMs: 240_000,
        });
        const job = json<JobResult>(run);
        expect(job.error ?? null, run.stderr).toBeNull();
        expect(job.status).toBe("completed");
        expect(job.agent).toBe(agent!.name);

        if (name === "production") {
          // The after_run shell hook appends one line per job beside the fleet file.
          const log = readFileSync(join(dir, "jobs.log"), "utf8");
          expect(log).toMatch(new RegExp(`^\\S+ triager ${job.id} completed\\n$`));
        }
      } finally {
        await tmp.remove();
      }
    },
    300_000,
  );
});
