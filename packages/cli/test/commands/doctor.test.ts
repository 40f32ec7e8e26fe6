import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir, writeFleet } from "../helpers/cli.js";

interface Doc {
  ok: boolean;
  checks: Array<{ name: string; status: string; detail: string; fix?: string }>;
}

let dir: string;
let remove: () => Promise<void>;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
  await writeFleet(dir);
});
afterEach(() => remove());

// HOME points at the temp folder so a developer's own `claude login` does not change the result.
const env = (extra: Record<string, string> = {}) => ({ HOME: dir, ...extra });

describe("herdctl doctor", () => {
  it("passes with every check ok, naming the credential but never printing it", async () => {
    const r = await herdctl(["doctor"], {
      cwd: dir,
      env: env({ ANTHROPIC_API_KEY: "sk-ant-doctor-test-value" }),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("sk-ant-doctor-test-value");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(" "))).toEqual([
      "ok config",
      "ok claude",
      "ok credentials",
      "ok docker",
      "ok state",
    ]);
    expect(r.stdout).toMatch(/ok {4}claude {7}\S+ \(\d+\.\d+\.\d+/);
    expect(r.stdout).toContain("ANTHROPIC_API_KEY set");
    expect(r.stdout).toContain("not needed (no agent has docker.enabled)");
    expect(r.stdout).toContain("(not created yet; the first job creates it)");
  });

  it("fails without credentials, with a fix, exit 1 and --json", async () => {
    const r = await herdctl(["--json", "doctor"], { cwd: dir, env: env() });
    expect(r.code).toBe(1);
    const doc = json<Doc>(r);
    expect(doc.ok).toBe(false);
    const cred = doc.checks.find((c) => c.name === "credentials")!;
    expect(cred.status).toBe("fail");
    expect(cred.detail).toBe(
      "no ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN in the environment, and no claude login",
    );
    expect(cred.fix).toContain("export ANTHROPIC_API_KEY");
    expect(doc.checks.find((c) => c.name === "claude")!.status).toBe("ok");
  });

  it("reports a broken config and a damaged database", async () => {
    await writeFile(join(dir, "herdctl.yaml"), "version: 1\nagents: 7\n");
    const r = json<Doc>(
      await herdctl(["--json", "doctor"], { cwd: dir, env: env({ CLAUDE_CODE_OAUTH_TOKEN: "t" }) }),
    );
    const config = r.checks.find((c) => c.name === "config")!;
    expect(config.status).toBe("fail");
    expect(config.fix).toBe(
      'run "herdctl config validate" to list every problem, or "herdctl init" to create a fleet',
    );
    expect(r.checks.find((c) => c.name === "docker")!.status).toBe("warn");

    await writeFleet(dir);
    await mkdir(join(dir, ".herdctl"), { recursive: true });
    await writeFile(join(dir, ".herdctl", "herdctl.db"), "this is not a database, just text ".repeat(200));
    const s = json<Doc>(
      await herdctl(["--json", "doctor"], { cwd: dir, env: env({ CLAUDE_CODE_OAUTH_TOKEN: "t" }) }),
    );
    const state = s.checks.find((c) => c.name === "state")!;
    expect(state.status).toBe("fail");
    expect(state.detail).toContain("is corrupt or not an SQLite database");
  });

  it("checks the Docker engine and image when an agent uses Docker", async () => {
    // The image is a fleet-file setting; the agent only opts in.
    const fleet = (await readFile(join(dir, "herdctl.yaml"), "utf8")).replace(
      "defaults:\n",
      "defaults:\n  docker:\n    image: herdctl-test/no-such-image:none\n",
    );
    await writeFile(join(dir, "herdctl.yaml"), fleet);
    await writeFile(
      join(dir, "agents", "scribe.yaml"),
      "name: scribe\nworking_directory: ../workspace\ndocker:\n  enabled: true\n",
    );
    const doc = json<Doc>(
      await herdctl(["--json", "doctor"], { cwd: dir, env: env({ ANTHROPIC_API_KEY: "k" }) }),
    );
    expect(doc.checks.find((c) => c.name === "docker")).toEqual({
      name: "docker",
      status: "ok",
      detail: "engine answers",
    });
    const image = doc.checks.find((c) => c.name === "image")!;
    expect(image.status).toBe("fail");
    expect(image.detail.startsWith("herdctl-test/no-such-image:none: ")).toBe(true);
    expect(image.fix).toBe("docker pull herdctl-test/no-such-image:none, or build it");
    expect(doc.ok).toBe(false);
  });
});
