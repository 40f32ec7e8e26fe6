import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, scratch } from "./helpers.js";

/**
 * Malformed configurations through the built `herdctl config validate`: every one must exit 1 with
 * a message naming file:line, and never a stack trace.
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

let root: { dir: string; cleanup: () => void };
afterAll(() => root?.cleanup());

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

describe("malformed configurations (built CLI, config validate)", () => {
  it(`rejects all ${CASES.length} with exit 1, file:line and no stack trace`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    root = scratch("herdctl-faults-config-");
    const dirs = CASES.map(([, fleet, agent], i) => {
      const dir = join(root.dir, String(i));
      mkdirSync(join(dir, "agents"), { recursive: true });
      mkdirSync(join(dir, "workspace"));
      writeFileSync(join(dir, "herdctl.yaml"), fleet);
      writeFileSync(join(dir, "agents", "a.yaml"), agent);
      return dir;
    });
    const results: Array<{ code: number | null; out: string }> = [];
    // Four at a time: each is a node start-up, and two cores are shared with other test files.
    for (let i = 0; i < dirs.length; i += 4)
      results.push(...(await Promise.all(dirs.slice(i, i + 4).map(validate))));
    const problems: string[] = [];
    CASES.forEach(([label], i) => {
      const { code, out } = results[i]!;
      if (code !== 1) problems.push(`${label}: exit ${code}\n${out}`);
      else if (!/(herdctl|agents\/a)\.yaml:\d+/.test(out)) problems.push(`${label}: no file:line\n${out}`);
      else if (/^\s+at /m.test(out)) problems.push(`${label}: stack trace\n${out}`);
      else if (!out.startsWith("herdctl: ")) problems.push(`${label}: not a herdctl error\n${out}`);
    });
    expect(problems).toEqual([]);
    // Sixty-odd CLI start-ups: minutes when the cores are shared; the limit only catches a hang.
  }, 600_000);
});
