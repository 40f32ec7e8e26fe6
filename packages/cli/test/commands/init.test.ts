import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, BIN, herdctl, json, tempDir, until } from "../helpers/cli.js";
import { TmuxSession } from "../helpers/tmux.js";

let dir: string;
let remove: () => Promise<void>;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  ({ dir, remove } = await tempDir("herdctl-init-"));
});
afterEach(() => remove());

describe("herdctl init", () => {
  it("scaffolds a fleet that validates and runs offline", async () => {
    const r = await herdctl(["init", "--yes", "--name", "myfleet"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("created herdctl.yaml, agents/assistant.yaml, workspace");
    expect(r.stdout).toContain("herdctl trigger assistant --offline --wait");
    for (const f of ["herdctl.yaml", "agents/assistant.yaml", "workspace/README.md", ".gitignore"])
      expect(existsSync(join(dir, f))).toBe(true);

    const valid = json<{ valid: boolean; agents: number }>(
      await herdctl(["--json", "config", "validate"], { cwd: dir }),
    );
    expect(valid).toMatchObject({ valid: true, agents: 1 });
    const shown = json<{ fleet: { name: string } }>(
      await herdctl(["--json", "config", "show"], { cwd: dir }),
    );
    expect(shown.fleet.name).toBe("myfleet");

    const run = await herdctl(["--json", "trigger", "assistant", "--offline", "--wait"], { cwd: dir });
    expect(run.code).toBe(0);
    const job = json<{ status: string; agent: string }>(run);
    expect(job).toMatchObject({ status: "completed", agent: "assistant" });
  });

  it("names the fleet after the folder by default and takes --agent; --json describes what it made", async () => {
    const r = await herdctl(["--json", "init", "--yes", "--agent", "helper"], { cwd: dir });
    expect(r.code).toBe(0);
    const doc = json<{ fleet: string; agents: string[]; files: string[]; configPath: string }>(r);
    expect(doc.fleet).toMatch(/^herdctl-init-/);
    expect(doc.agents).toEqual(["helper"]);
    expect(doc.files).toEqual(["herdctl.yaml", "agents/helper.yaml", "workspace"]);
    expect(doc.configPath).toBe(join(dir, "herdctl.yaml"));
  });

  it("refuses to overwrite without --force, and overwrites with it", async () => {
    await writeFile(join(dir, "herdctl.yaml"), "# mine\n");
    const r = await herdctl(["init", "--yes"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `herdctl: ${join(dir, "herdctl.yaml")} already exists; pass --force to overwrite it\n`,
    );
    expect(await readFile(join(dir, "herdctl.yaml"), "utf8")).toBe("# mine\n");
    const forced = await herdctl(["init", "--yes", "--force"], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(await readFile(join(dir, "herdctl.yaml"), "utf8")).toContain("version: 1");
  });

  it("rejects a name that is not a valid fleet name with exit 2", async () => {
    const r = await herdctl(["init", "--yes", "--name", "my fleet!"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'herdctl: --name "my fleet!": use letters, digits, - and _, starting with a letter or digit\n',
    );
    expect(existsSync(join(dir, "herdctl.yaml"))).toBe(false);
  });
});

describe("herdctl init with flags, and init agent", () => {
  it("writes the first agent from --runtime, --docker, --schedule and --prompt; the schedule starts disabled", async () => {
    const r = await herdctl(
      [
        "init",
        "fleet",
        "-y",
        "--name",
        "flags",
        "--agent",
        "worker",
        "--runtime",
        "cli",
        "--docker",
        "--schedule",
        "every 2h",
        "--prompt",
        "Tidy up",
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("herdctl schedules enable worker every");
    const shown = json<{ agents: Array<Record<string, unknown>> }>(
      await herdctl(["--json", "config", "show"], { cwd: dir }),
    );
    expect(shown.agents[0]).toMatchObject({
      name: "worker",
      runtime: "cli",
      default_prompt: "Tidy up",
      docker: { enabled: true },
      schedules: { every: { type: "interval", enabled: false } },
    });
  });

  it("adds an agent to an existing fleet, keeping the fleet file's comments and layout", async () => {
    expect((await herdctl(["init", "-y", "--name", "grow"], { cwd: dir })).code).toBe(0);
    const fleetFile = join(dir, "herdctl.yaml");
    await writeFile(
      fleetFile,
      (await readFile(fleetFile, "utf8")).replace("agents:\n", "# my agents, in order\nagents:\n"),
    );
    const before = await readFile(fleetFile, "utf8");
    const r = await herdctl(["init", "agent", "helper", "--schedule", "0 9 * * 1-5", "--prompt", "Say hi"], {
      cwd: dir,
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("created agents/helper.yaml, and added it to herdctl.yaml");
    expect(await readFile(fleetFile, "utf8")).toBe(`${before}  - path: ./agents/helper.yaml\n`);
    const valid = json<{ valid: boolean; agents: number }>(
      await herdctl(["--json", "config", "validate"], { cwd: dir }),
    );
    expect(valid).toMatchObject({ valid: true, agents: 2 });
    const helper = await readFile(join(dir, "agents", "helper.yaml"), "utf8");
    expect(helper).toContain('cron: "0 9 * * 1-5"');
    expect(helper).toContain("# Off until you turn it on");

    // A clash and a bad schedule change nothing.
    const after = await readFile(fleetFile, "utf8");
    const clash = await herdctl(["init", "agent", "helper", "-y"], { cwd: dir });
    expect(clash).toMatchObject({ code: 1 });
    expect(clash.stderr).toBe(
      "herdctl: the fleet already has an agent named helper (agents/helper.yaml); pick another name\n",
    );
    const bad = await herdctl(["init", "agent", "other", "--schedule", "soon"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'herdctl: --schedule: "soon" is not a schedule; write an interval ("every 1h", "30m") or five cron fields ("0 9 * * 1-5")\n',
    );
    expect(existsSync(join(dir, "agents", "other.yaml"))).toBe(false);
    expect(await readFile(fleetFile, "utf8")).toBe(after);
  });
});

describe("herdctl init on a terminal (tmux gives it a pty)", () => {
  const tmux = new TmuxSession(`herdctl-init-${process.pid}`);
  afterAll(() => tmux.kill());

  it("asks each question, checks answers as they are typed, and writes what was answered", async () => {
    tmux.start(dir, [process.execPath, BIN, "init"], { cols: 200, rows: 30 });
    const answer = async (question: string, keys: string[]) => {
      await until(() => tmux.screen().includes(question), `the question "${question}"`);
      tmux.keys(...keys);
    };
    await answer("Fleet name", ["C-u", "asked", "Enter"]);
    // A name with a space is refused where it is typed; the corrected one goes through.
    await answer("Agent name", ["C-u", "bad name", "Enter"]);
    await until(() => tmux.screen().includes("use letters, digits"), "the name rule");
    await answer("use letters, digits", ["C-u", "talker", "Enter"]);
    await answer("What should it do", ["C-u", "Answer questions", "Enter"]);
    await answer("How should herdctl run claude", ["Down", "Enter"]);
    await answer("Run it in a Docker container", ["n", "Enter"]);
    await answer("Schedule", ["every 1h", "Enter"]);
    await until(() => tmux.exited(), "init's end");
    expect(tmux.screen()).toContain("created herdctl.yaml, agents/talker.yaml, workspace");
    const shown = json<{ fleet: { name: string }; agents: Array<Record<string, unknown>> }>(
      await herdctl(["--json", "config", "show"], { cwd: dir }),
    );
    expect(shown.fleet.name).toBe("asked");
    expect(shown.agents[0]).toMatchObject({
      name: "talker",
      runtime: "cli",
      default_prompt: "Answer questions",
      schedules: { every: { type: "interval", enabled: false } },
    });
    expect(shown.agents[0]).not.toHaveProperty("docker.enabled", true);
  });

  it("init agent asks only what its flags left open, and adds the agent to the fleet", async () => {
    expect((await herdctl(["init", "-y", "--name", "grow"], { cwd: dir })).code).toBe(0);
    const fleetFile = join(dir, "herdctl.yaml");
    const before = await readFile(fleetFile, "utf8");
    tmux.kill(); // the previous test's pane, kept after its command ended
    tmux.start(dir, [process.execPath, BIN, "init", "agent", "reviewer", "--runtime", "cli"], {
      cols: 200,
      rows: 30,
    });
    const screens: string[] = [];
    const answer = async (question: string, keys: string[]) => {
      await until(() => tmux.screen().includes(question), `the question "${question}"`);
      screens.push(tmux.screen());
      tmux.keys(...keys);
    };
    await answer("What should it do", ["C-u", "Review pull requests", "Enter"]);
    await answer("Run it in a Docker container", ["y", "Enter"]);
    await answer("Schedule", ["0 9 * * 1-5", "Enter"]);
    await until(() => tmux.exited(), "init agent's end");
    expect(tmux.screen()).toContain("created agents/reviewer.yaml, and added it to herdctl.yaml");
    // Neither the name (the argument) nor the runtime (--runtime) was asked.
    expect(screens.join("\n")).not.toMatch(/Agent name|How should herdctl run claude/);
    expect(await readFile(fleetFile, "utf8")).toBe(`${before}  - path: ./agents/reviewer.yaml\n`);
    const shown = json<{ agents: Array<Record<string, unknown>> }>(
      await herdctl(["--json", "config", "show"], { cwd: dir }),
    );
    expect(shown.agents.find((a) => a.name === "reviewer")).toMatchObject({
      runtime: "cli",
      default_prompt: "Review pull requests",
      docker: { enabled: true },
      schedules: { cron: { type: "cron", cron: "0 9 * * 1-5", enabled: false } },
    });
  });
});
