import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentRepo, makeRepo } from "../../../core/test/helpers/git-repos.js";
import { assertBuilt, BIN, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";
import { TmuxSession } from "../helpers/tmux.js";

// `herdctl agent add|list|info|remove` end to end: the built CLI, real git, bare repositories in a
// temporary folder (no network), and a real `herdctl start --offline` for the daemon's part.
const ref = (body: string): string => ["$", "{", body, "}"].join("");
const AGENT = `name: helper
description: answers questions   # from the publisher
default_prompt: Say hello.
schedules:
  daily: { type: interval, interval: 1h, start_delay: 1h }
`;

let dir: string;
let remove: () => Promise<void>;
let repo: AgentRepo;
let commit: string;
let fleetText: string;
const fleetFile = () => join(dir, "herdctl.yaml");

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-agent-cli-"));
  await writeFleet(dir);
  // A comment the edits must keep.
  writeFileSync(
    fleetFile(),
    readFileSync(fleetFile(), "utf8").replace("agents:\n", "agents:   # the team\n"),
  );
  fleetText = readFileSync(fleetFile(), "utf8");
  repo = makeRepo(dir, "helper-repo");
  commit = repo.commit({
    "agent.yaml": AGENT,
    "prompts/notes.md": `Post with ${ref("HELPER_SLACK_TOKEN")}.\n`,
  });
  repo.tag("v1");
});

afterAll(async () => {
  await remove();
});

describe("herdctl agent without a daemon", () => {
  it("add, list, info and remove a good agent", async () => {
    const added = await herdctl(["agent", "add", `./helper-repo.git#v1`], { cwd: dir });
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    const lines = added.stdout.split("\n");
    expect(lines[0]).toBe(`installed agent helper from ${repo.bare}#v1 (commit ${commit.slice(0, 12)})`);
    expect(added.stdout).toContain(
      '  fleet:     added "- path: ./agents/helper/agent.yaml" to herdctl.yaml\n',
    );
    expect(added.stdout).toContain(
      "  schedules: daily\n  works in:  agents/helper (its own folder)\n" +
        "  acts:      permission mode acceptEdits; allowed tools: the mode's defaults; on this machine (no Docker)\n",
    );
    expect(added.stdout).toMatch(/ {4}HELPER_SLACK_TOKEN {2}missing {2}prompts\/notes\.md\n/);
    expect(added.stdout).toContain("no daemon is running for this fleet");
    expect(readFileSync(fleetFile(), "utf8")).toBe(
      fleetText.replace(
        "  - path: ./agents/scribe.yaml\n",
        "  - path: ./agents/scribe.yaml\n  - path: ./agents/helper/agent.yaml\n",
      ),
    );

    const listed = json<{ agents: Array<{ name: string; source: { commit: string; ref: string } | null }> }>(
      await herdctl(["--json", "agent", "list"], { cwd: dir }),
    );
    expect(listed.agents.map((a) => [a.name, a.source?.ref ?? null, a.source?.commit ?? null])).toEqual([
      ["greeter", null, null],
      ["scribe", null, null],
      ["helper", "v1", commit],
    ]);
    const table = await herdctl(["agent", "list"], { cwd: dir });
    expect(table.stdout).toMatch(
      new RegExp(`helper +${repo.bare.replace(/[.]/g, "\\.")} +v1 +${commit.slice(0, 12)} +daily`),
    );

    const info = await herdctl(["agent", "info", "helper"], { cwd: dir });
    expect(info.code).toBe(0);
    expect(info.stdout).toContain(`source:    ${repo.bare}\nref:       v1\ncommit:    ${commit}\n`);
    expect(info.stdout).toContain("  daily  interval every 1h\n");
    expect(info.stdout).toMatch(/HELPER_SLACK_TOKEN {2}missing {2}prompts\/notes\.md/);
    expect(info.stdout).toContain("last jobs: none");
    // Set in .env: info says so.
    writeFileSync(join(dir, ".env"), "HELPER_SLACK_TOKEN=xoxb-test\n");
    const infoSet = json<{ env: Array<{ name: string; set: boolean }> }>(
      await herdctl(["--json", "agent", "info", "helper"], { cwd: dir }),
    );
    expect(infoSet.env).toEqual([expect.objectContaining({ name: "HELPER_SLACK_TOKEN", set: true })]);

    const unasked = await herdctl(["agent", "remove", "helper"], { cwd: dir });
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toBe(
      "herdctl: agent remove asks before removing helper; pass --yes to remove it without asking\n",
    );
    const removed = await herdctl(["agent", "remove", "helper", "--yes"], { cwd: dir });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("removed agent helper from herdctl.yaml\n  deleted agents/helper/\n");
    expect(readFileSync(fleetFile(), "utf8")).toBe(fleetText);
    expect(existsSync(join(dir, "agents", "helper"))).toBe(false);
  });

  it("an invalid agent.yaml: exit 1, the file, line and key, nothing copied, the fleet file unchanged", async () => {
    const bad = makeRepo(dir, "bad-repo");
    bad.commit({ "agent.yaml": "name: broken\nmax_turns: lots\n" });
    const result = await herdctl(["agent", "add", bad.bare], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(
        `^herdctl: the agent in ${bad.bare.replace(/[.]/g, "\\.")} does not load, so nothing was installed \\(1 problem\\):\\n {2}agent\\.yaml:2:12 max_turns: `,
      ),
    );
    expect(readFileSync(fleetFile(), "utf8")).toBe(fleetText);
    expect(existsSync(join(dir, "agents", "broken"))).toBe(false);
  });

  it("a name clash and a missing ref are refused with what to do", async () => {
    const clash = makeRepo(dir, "clash-repo");
    clash.commit({ "agent.yaml": "name: greeter\n" });
    const named = await herdctl(["agent", "add", clash.bare], { cwd: dir });
    expect(named.code).toBe(1);
    expect(named.stderr).toBe(
      "herdctl: the fleet already has an agent named greeter (agents/greeter.yaml); install this one under another name with --name <name>, or remove the other first\n",
    );
    const missing = await herdctl(["agent", "add", `${repo.bare}#v9`], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `herdctl: "#v9" is not a branch, tag or commit of ${repo.bare}; it has: main, v1\n`,
    );
    expect(readFileSync(fleetFile(), "utf8")).toBe(fleetText);
  });

  it("remove --keep-files takes the agent out of the fleet and leaves its folder", async () => {
    expect((await herdctl(["agent", "add", repo.bare], { cwd: dir })).code).toBe(0);
    const kept = await herdctl(["agent", "remove", "helper", "--yes", "--keep-files"], { cwd: dir });
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toContain("removed agent helper from herdctl.yaml\n");
    expect(kept.stdout).not.toContain("deleted");
    expect(readFileSync(fleetFile(), "utf8")).toBe(fleetText);
    expect(readFileSync(join(dir, "agents", "helper", "agent.yaml"), "utf8")).toBe(AGENT);
    rmSync(join(dir, "agents", "helper"), { recursive: true });
  });
});

describe("herdctl agent remove on a terminal (tmux gives it a pty)", () => {
  const tmux = new TmuxSession(`herdctl-agent-rm-${process.pid}`);
  afterAll(() => tmux.kill());

  /** Runs `agent remove helper` on a terminal, answers its question; the question and the screen after. */
  async function answer(reply: string): Promise<{ question: string; after: string }> {
    tmux.start(dir, [process.execPath, BIN, "agent", "remove", "helper"], { cols: 200, rows: 20 });
    await until(() => tmux.screen().includes("[y/N]"), "the confirmation question");
    const question = tmux.screen().trim();
    tmux.keys(reply, "Enter");
    await until(() => tmux.exited(), "the command's end");
    const after = tmux.screen();
    tmux.kill();
    return { question, after };
  }

  it("asks, and removes only on yes", async () => {
    expect((await herdctl(["agent", "add", repo.bare], { cwd: dir })).code).toBe(0);
    const withHelper = readFileSync(fleetFile(), "utf8");
    const no = await answer("n");
    expect(no.question).toBe(
      "Remove agent helper from herdctl.yaml (deletes agents/helper/ if agent add made it)? [y/N]",
    );
    expect(no.after).toContain("herdctl: nothing removed");
    expect(readFileSync(fleetFile(), "utf8")).toBe(withHelper);
    const yes = await answer("y");
    expect(yes.after).toContain("removed agent helper from herdctl.yaml");
    expect(readFileSync(fleetFile(), "utf8")).toBe(fleetText);
    expect(existsSync(join(dir, "agents", "helper"))).toBe(false);
  });
});

describe("herdctl agent with a daemon running", () => {
  let daemon: ChildProcess;
  beforeAll(async () => {
    daemon = await startDaemon(dir);
  });
  afterAll(async () => {
    await stopDaemon(daemon);
  });

  it("the daemon's config watcher picks up add and remove, and info shows the agent's last jobs", async () => {
    const added = await herdctl(["agent", "add", `file://${repo.bare}`], { cwd: dir });
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(
      "the running daemon reloaded the fleet file: agent helper is in the running fleet, its schedules live\n",
    );
    const triggered = await herdctl(["--json", "trigger", "helper", "--wait"], { cwd: dir });
    expect(triggered.code).toBe(0);
    const id = json<{ id: string }>(triggered).id;
    const info = json<{ source: { source: string }; jobs: Array<{ id: string; status: string }> }>(
      await herdctl(["--json", "agent", "info", "helper"], { cwd: dir }),
    );
    expect(info.source.source).toBe(`file://${repo.bare}`);
    expect(info.jobs.map((j) => [j.id, j.status])).toEqual([[id, "completed"]]);
    const human = await herdctl(["agent", "info", "helper"], { cwd: dir });
    expect(human.stdout).toMatch(new RegExp(`last jobs:\\n.*\\n${id} +helper +completed`));

    const removed = await herdctl(["agent", "remove", "helper", "-y"], { cwd: dir });
    expect(removed.stdout).toContain(
      "the running daemon reloaded the fleet file: agent helper is out of the running fleet\n",
    );
    const status = json<{ agents: Array<{ name: string }> }>(
      await herdctl(["--json", "status"], { cwd: dir }),
    );
    expect(status.agents.map((a) => a.name)).not.toContain("helper");
    expect(readFileSync(fleetFile(), "utf8")).toBe(fleetText);
  });
});
