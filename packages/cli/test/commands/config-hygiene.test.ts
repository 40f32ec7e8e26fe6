// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test contains literal ${VAR} references
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, tempDir, writeFleet } from "../helpers/cli.js";

const TOKEN = "gh_tok_5f3e9a1b7c";
let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-hygiene-"));
  await writeFleet(dir);
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: hygiene }\n" +
      "defaults:\n  runtime: cli\n  docker:\n    enabled: true\n    host_config: { Privileged: true }\n" +
      "agents:\n  - path: ./agents/scribe.yaml\n",
  );
  await writeFile(
    join(dir, "agents", "scribe.yaml"),
    "name: scribe\nworking_directory: ../workspace\n" +
      'schedules:\n  "v1.2": { type: interval, interval: 10m, prompt: "use ${GH_TOKEN}" }\n' +
      'env:\n  "MY.VAR": "${GH_TOKEN}"\n  "a[0] b]c ✓": "${GH_TOKEN}"\n' +
      'mcp_servers:\n  "gh.server": { command: gh-mcp, args: ["--auth", "${GH_TOKEN}"] }\n',
  );
  await writeFile(join(dir, ".env"), `GH_TOKEN=${TOKEN}\n`);
});
afterAll(() => remove());

describe("config show", () => {
  it("prints durations as written and no secret, whatever the key characters", async () => {
    const shown = await herdctl(["config", "show"], { cwd: dir });
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain(TOKEN);
    expect(shown.stdout).toMatch(/v1\.2:\n\s+type: interval\n\s+interval: 10m\n\s+prompt: "\[redacted\]"/);
    expect(shown.stdout).toContain('MY.VAR: "[redacted]"');
    expect(shown.stdout).toContain('a[0] b]c ✓: "[redacted]"');
    expect(shown.stdout).toMatch(
      /gh\.server:\n\s+command: gh-mcp\n\s+args:\n\s+- --auth\n\s+- "\[redacted\]"/,
    );
  });

  it("--json keeps milliseconds and redacts the same values", async () => {
    const shown = await herdctl(["--json", "config", "show"], { cwd: dir });
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain(TOKEN);
    const doc = JSON.parse(shown.stdout) as {
      agents: Array<{ schedules: Record<string, { interval: number }> }>;
    };
    expect(doc.agents[0]?.schedules["v1.2"]?.interval).toBe(600_000);
  });
});

describe("config validate", () => {
  it("warns about a risky Docker setting at its line, naming what it grants", async () => {
    const r = await herdctl(["config", "validate"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "warning: herdctl.yaml:7:32 defaults.docker.host_config.Privileged: true gives the container full control of the host; remove it unless the agent needs it",
    );
  });
});
