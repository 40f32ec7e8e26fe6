import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isUserFacing } from "../../packages/cli/src/errors.js";
import { loadFleet } from "../../packages/core/src/config/load.js";
import { CLI, scratch } from "./helpers.js";

/**
 * Malformed configurations: every one must be refused with a message naming file:line, and never
 * a stack trace. All of them go through the function `herdctl config validate` loads the fleet
 * with, in this process; the CLI prints such an error as `herdctl: <message>` with no stack when
 * `isUserFacing` says so. A sample of each kind (fleet and agent file, YAML syntax and schema, the
 * alias bomb) also goes through the built `herdctl config validate`, for its exit code and output:
 * sixty-odd CLI start-ups cost a minute of CPU and prove no more than the sample does.
 */
const FLEET = "version: 1\nfleet: { name: bad }\nagents:\n  - path: ./agents/a.yaml\n";
const AGENT = (body: string) => `name: a\nworking_directory: ../workspace\n${body}`;

/** [label, herdctl.yaml, agents/a.yaml] */
const CASES: Array<[string, string, string]> = [
  // Fleet file: YAML syntax and structure
  ["unclosed flow sequence", "version: 1\nfleet: [\n", AGENT("")],
  ["unclosed flow map", "version: 1\nfleet: { name: bad\nagents: []\n", AGENT("")],
  ["tab indentation", "version: 1\nfleet:\n\tname: bad\n", AGENT("")],
  ["duplicate key", `${FLEET}version: 1\n`, AGENT("")],
  ["bad indentation", "version: 1\nfleet:\n  name: bad\n    extra: 1\n", AGENT("")],
  ["unterminated quote", 'version: 1\nfleet: { name: "bad }\n', AGENT("")],
  ["version 2", FLEET.replace("version: 1", "version: 2"), AGENT("")],
  ["version string", FLEET.replace("version: 1", "version: one"), AGENT("")],
  ["fleet is a list", "version: 1\nfleet: [a, b]\nagents:\n  - path: ./agents/a.yaml\n", AGENT("")],
  ["fleet name empty", FLEET.replace("name: bad", 'name: ""'), AGENT("")],
  ["fleet name a number", FLEET.replace("name: bad", "name: 42"), AGENT("")],
  ["unknown top-level key", `${FLEET}colour: blue\n`, AGENT("")],
  ["agents is a map", "version: 1\nfleet: { name: bad }\nagents: { a: 1 }\n", AGENT("")],
  ["agent entry without path", "version: 1\nfleet: { name: bad }\nagents:\n  - name: a\n", AGENT("")],
  ["agent path a number", "version: 1\nfleet: { name: bad }\nagents:\n  - path: 7\n", AGENT("")],
  [
    "max_concurrent_jobs negative",
    FLEET.replace("name: bad }", "name: bad, max_concurrent_jobs: -1 }"),
    AGENT(""),
  ],
  [
    "max_concurrent_jobs text",
    FLEET.replace("name: bad }", "name: bad, max_concurrent_jobs: lots }"),
    AGENT(""),
  ],
  ["web port out of range", `${FLEET}web: { port: 70000 }\n`, AGENT("")],
  ["web port text", `${FLEET}web: { port: http }\n`, AGENT("")],
  ["web enabled string", `${FLEET}web: { enabled: sure }\n`, AGENT("")],
  ["defaults a list", `${FLEET}defaults: [1, 2]\n`, AGENT("")],
  ["defaults runtime bogus", `${FLEET}defaults: { runtime: python }\n`, AGENT("")],
  [
    "defaults docker network bogus",
    `${FLEET}defaults: { docker: { enabled: true, network: galaxy } }\n`,
    AGENT(""),
  ],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a fleet file's own ${VAR} reference
  ["undefined variable", FLEET.replace("name: bad", 'name: "${NOT_SET_ANYWHERE_123}"'), AGENT("")],
  ["YAML anchor to nothing", `${FLEET}defaults: *nothing\n`, AGENT("")],
  [
    "YAML alias bomb",
    `${FLEET}x0: &a0 [q, q, q, q, q, q, q, q, q, q]\n${Array.from({ length: 8 }, (_, i) => `x${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(", ")}]`).join("\n")}\n`,
    AGENT(""),
  ],
  // Agent file
  ["agent YAML syntax", FLEET, "name: a\nworking_directory: [\n"],
  ["agent without name", FLEET, "working_directory: ../workspace\n"],
  ["agent name with spaces", FLEET, "name: a b c\nworking_directory: ../workspace\n"],
  ["agent name a list", FLEET, "name: [a]\nworking_directory: ../workspace\n"],
  ["agent name traversal", FLEET, "name: ../../etc\nworking_directory: ../workspace\n"],
  ["runtime bogus", FLEET, AGENT("runtime: bogus\n")],
  ["model a number", FLEET, AGENT("model: 5\n")],
  ["timeout not a duration", FLEET, AGENT("timeout: soon\n")],
  ["timeout negative", FLEET, AGENT("timeout: -5s\n")],
  ["inactivity_timeout zero", FLEET, AGENT("inactivity_timeout: 0s\n")],
  ["unknown agent key", FLEET, AGENT("favourite_colour: blue\n")],
  ["permission_mode bogus", FLEET, AGENT("permission_mode: yolo\n")],
  ["allowed_tools a string", FLEET, AGENT("allowed_tools: 5\n")],
  ["env a list", FLEET, AGENT("env: [A, B]\n")],
  ["env value a map", FLEET, AGENT("env: { A: { b: 1 } }\n")],
  ["instances max_concurrent zero", FLEET, AGENT("instances: { max_concurrent: 0 }\n")],
  ["instances max_concurrent text", FLEET, AGENT("instances: { max_concurrent: two }\n")],
  ["schedules a list", FLEET, AGENT("schedules: [a]\n")],
  ["schedule type bogus", FLEET, AGENT("schedules:\n  s: { type: weekly }\n")],
  ["schedule without type", FLEET, AGENT("schedules:\n  s: { interval: 5m }\n")],
  ["interval not a duration", FLEET, AGENT("schedules:\n  s: { type: interval, interval: 5x }\n")],
  ["interval missing", FLEET, AGENT("schedules:\n  s: { type: interval, prompt: hi }\n")],
  ["cron bad expression", FLEET, AGENT('schedules:\n  s: { type: cron, cron: "61 * * * *" }\n')],
  ["cron missing", FLEET, AGENT("schedules:\n  s: { type: cron }\n")],
  ["cron with six words of nonsense", FLEET, AGENT('schedules:\n  s: { type: cron, cron: "a b c d e f" }\n')],
  ["webhook secret_env a number", FLEET, AGENT("schedules:\n  s: { type: webhook, secret_env: 5 }\n")],
  [
    "start_delay text",
    FLEET,
    AGENT("schedules:\n  s: { type: interval, interval: 5m, start_delay: later }\n"),
  ],
  [
    "schedule enabled text",
    FLEET,
    AGENT("schedules:\n  s: { type: interval, interval: 5m, enabled: maybe }\n"),
  ],
  ["hooks a string", FLEET, AGENT("hooks: run-stuff\n")],
  ["hook type bogus", FLEET, AGENT("hooks:\n  after_run:\n    - { type: carrier-pigeon }\n")],
  ["shell hook without command", FLEET, AGENT("hooks:\n  after_run:\n    - { type: shell }\n")],
  ["webhook hook bad url", FLEET, AGENT("hooks:\n  after_run:\n    - { type: webhook, url: not a url }\n")],
  ["docker a string", FLEET, AGENT("docker: yes please\n")],
  ["docker memory bogus", FLEET, AGENT("docker: { enabled: true, memory: lots }\n")],
  ["docker unknown key", FLEET, AGENT("docker: { enabled: true, privileged_mode: true }\n")],
  ["session timeout text", FLEET, AGENT("session: { timeout: whenever }\n")],
  ["on_interrupt bogus", FLEET, AGENT("on_interrupt: panic\n")],
  ["max_turns negative", FLEET, AGENT("max_turns: -3\n")],
  ["default_prompt a map", FLEET, AGENT("default_prompt: { a: 1 }\n")],
];

/** Labels of the cases that also run through the built CLI: one of each kind. */
const THROUGH_CLI = [
  "unclosed flow sequence",
  "unknown top-level key",
  "YAML alias bomb",
  "agent YAML syntax",
  "cron bad expression",
];

let root: { dir: string; cleanup: () => void } | undefined;
afterAll(() => root?.cleanup());

/** One case's fleet folder under the scratch root. */
function fleetDir(index: number): string {
  root ??= scratch("herdctl-faults-config-");
  const [, fleet, agent] = CASES[index]!;
  const dir = join(root.dir, String(index));
  mkdirSync(join(dir, "agents"), { recursive: true });
  mkdirSync(join(dir, "workspace"), { recursive: true });
  writeFileSync(join(dir, "herdctl.yaml"), fleet);
  writeFileSync(join(dir, "agents", "a.yaml"), agent);
  return dir;
}

function validate(dir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "config", "validate", "-c", dir], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

const FILE_LINE = /(herdctl|agents\/a)\.yaml:\d+/;

describe("malformed configurations (config validate)", () => {
  it(`refuses all ${CASES.length} as the CLI loads them: a user-facing error naming file:line`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    const problems: string[] = [];
    for (const [index, [label]] of CASES.entries()) {
      const dir = fleetDir(index);
      const error = await loadFleet(dir).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      if (error === undefined) problems.push(`${label}: loaded`);
      else if (!isUserFacing(error))
        problems.push(`${label}: not user-facing, the CLI would hint at a stack\n${error}`);
      else if (!FILE_LINE.test(error.message)) problems.push(`${label}: no file:line\n${error.message}`);
      else if (/^\s+at /m.test(error.message)) problems.push(`${label}: stack trace\n${error.message}`);
    }
    expect(problems).toEqual([]);
  });

  it(`the built CLI exits 1 with "herdctl: " file:line and no stack trace (${THROUGH_CLI.length} of them)`, async () => {
    const dirs = THROUGH_CLI.map((label) => {
      const index = CASES.findIndex(([name]) => name === label);
      expect(index, label).toBeGreaterThanOrEqual(0);
      return fleetDir(index);
    });
    const results = await Promise.all(dirs.map(validate));
    const problems: string[] = [];
    THROUGH_CLI.forEach((label, i) => {
      const { code, out } = results[i]!;
      if (code !== 1) problems.push(`${label}: exit ${code}\n${out}`);
      else if (!FILE_LINE.test(out)) problems.push(`${label}: no file:line\n${out}`);
      else if (/^\s+at /m.test(out)) problems.push(`${label}: stack trace\n${out}`);
      else if (!out.startsWith("herdctl: ")) problems.push(`${label}: not a herdctl error\n${out}`);
    });
    expect(problems).toEqual([]);
  });
});
