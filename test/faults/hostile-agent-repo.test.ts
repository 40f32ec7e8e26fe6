import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, tempDir, writeFleet } from "../../packages/cli/test/helpers/cli.js";
import { type AgentRepo, git, makeRepo } from "../../packages/core/test/helpers/git-repos.js";

/**
 * `herdctl agent add` fetches a repository someone else controls. A hostile one tries to reach
 * outside the agent folder (a symlink to a system file, a symlinked --path folder, a tree entry
 * named `..`, an agent named `../x`), to weigh more than an agent should, to run code (a
 * post-checkout hook named by the user's own git config, the `ext::` transport), and to get a
 * credential typed into the URL printed. Each attempt fails with a clear error, the fleet file
 * stays byte for byte as it was, nothing appears in agents/, and no code runs.
 */
let tmp: { dir: string; remove: () => Promise<void> };
let fleetDir: string;
let fleetText: string;
let home: string;
let counter = 0;

const add = (args: string[]) => herdctl(["agent", "add", ...args], { cwd: fleetDir, env: { HOME: home } });
const fresh = (): AgentRepo => makeRepo(tmp.dir, `hostile-${++counter}`);
const untouched = () => {
  expect(readFileSync(join(fleetDir, "herdctl.yaml"), "utf8")).toBe(fleetText);
  expect(readdirSync(join(fleetDir, "agents")).sort()).toEqual(["greeter.yaml", "scribe.yaml"]);
};

beforeAll(async () => {
  assertBuilt();
  tmp = await tempDir("herdctl-hostile-agent-");
  fleetDir = join(tmp.dir, "fleet");
  mkdirSync(fleetDir);
  await writeFleet(fleetDir);
  fleetText = readFileSync(join(fleetDir, "herdctl.yaml"), "utf8");
  // The user's own git configuration names a hooks folder: herdctl's git calls must not use it.
  home = join(tmp.dir, "home");
  const hooks = join(home, "hooks");
  mkdirSync(hooks, { recursive: true });
  for (const hook of ["post-checkout", "post-merge", "reference-transaction"]) {
    writeFileSync(join(hooks, hook), `#!/bin/sh\ntouch "${join(tmp.dir, "hook-ran")}"\n`);
    chmodSync(join(hooks, hook), 0o755);
  }
  writeFileSync(join(home, ".gitconfig"), `[core]\n\thooksPath = ${hooks}\n`);
});

afterAll(async () => {
  await tmp.remove();
});

beforeEach(() => untouched());

describe("a hostile agent repository", () => {
  it("a symlink pointing outside the agent folder is refused", async () => {
    const repo = fresh();
    repo.commit({ "agent.yaml": "name: linker\n", "notes.md": { link: "../../../../../../etc/passwd" } });
    const result = await add([repo.bare]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'herdctl: notes.md is a symbolic link (to "../../../../../../etc/passwd"); herdctl installs plain files only, ' +
        "so nothing in an agent can point outside its folder. Replace the link with the file it stands for\n",
    );
    untouched();
  });

  it("--path through a symlinked folder is refused", async () => {
    const repo = fresh();
    repo.commit({ "agent.yaml": "name: linker\n", shared: { link: "/etc" } });
    const result = await add([repo.bare, "--path", "shared"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "herdctl: --path shared: shared is a symbolic link in the repository; herdctl follows no links\n",
    );
    untouched();
  });

  it("a tree entry named .. is refused by git's object checks before anything is checked out", async () => {
    const repo = fresh();
    const blob = (text: string) => gitWithInput(repo.work, ["hash-object", "-w", "--stdin"], text);
    const inner = mktree(repo.work, `100644 blob ${blob("pwned\n")}\tpwned`);
    const root = mktree(
      repo.work,
      `100644 blob ${blob("name: escaper\n")}\tagent.yaml\n040000 tree ${inner}\t..`,
    );
    const commit = git(repo.work, "commit-tree", root, "-m", "escape");
    git(repo.work, "push", "--quiet", "origin", `${commit}:refs/heads/main`);
    const result = await add([repo.bare]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^herdctl: git could not clone ${repo.bare.replace(/[.]/g, "\\.")}: error: object [0-9a-f]{40}: hasDotdot: contains '\\.\\.'`,
      ),
    );
    expect(existsSync(join(fleetDir, "pwned"))).toBe(false);
    expect(existsSync(join(tmp.dir, "pwned"))).toBe(false);
    untouched();
  });

  it("an agent named ../x, and --name ../x, cannot become a path", async () => {
    const repo = fresh();
    repo.commit({ "agent.yaml": "name: ../../outside\n" });
    const named = await add([repo.bare]);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(
      /^herdctl: the agent in .* does not load, so nothing was installed \(1 problem\):\n {2}agent\.yaml:1:7 name: /,
    );
    const renamed = await add([repo.bare, "--name", "../outside"]);
    expect(renamed.code).toBe(1);
    expect(renamed.stderr).toBe(
      'herdctl: --name "../outside": use letters, digits, _ and - (starting with a letter or digit)\n',
    );
    expect(existsSync(join(fleetDir, "outside"))).toBe(false);
    expect(existsSync(join(tmp.dir, "outside"))).toBe(false);
    untouched();
  });

  it("more than 50 MB is refused before any file is copied", async () => {
    const repo = fresh();
    // Zeros: a few kilobytes in git, 51 MB checked out.
    repo.commit({ "agent.yaml": "name: heavy\n", "data.bin": "\0".repeat(51 * 1024 * 1024) });
    const result = await add([repo.bare]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "herdctl: the agent folder holds more than 50 MB (at data.bin); an agent is configuration and prompts: keep data out of its repository\n",
    );
    untouched();
  });

  it("no hook runs, not even one the user's own git config names; a good agent installs", async () => {
    const repo = fresh();
    repo.commit({ "agent.yaml": "name: hooked\n" });
    const result = await add([repo.bare]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(existsSync(join(tmp.dir, "hook-ran"))).toBe(false);
    const removed = await herdctl(["agent", "remove", "hooked", "-y"], { cwd: fleetDir });
    expect(removed.code).toBe(0);
    // The hooks folder is in force for git run by hand (the test's own setup)...
    git(
      tmp.dir,
      "-c",
      `core.hooksPath=${join(home, "hooks")}`,
      "clone",
      "--quiet",
      repo.bare,
      join(tmp.dir, "by-hand"),
    );
    expect(existsSync(join(tmp.dir, "hook-ran"))).toBe(true);
  });

  it("the ext:: transport (runs a command) is refused, and a credential in a URL is never printed", async () => {
    const marker = join(tmp.dir, "ext-ran");
    const ext = await add([`ext::sh -c touch% ${marker}`]);
    expect(ext.code).toBe(1);
    expect(ext.stderr).toContain('"ext::" transports are not supported');
    expect(existsSync(marker)).toBe(false);

    // Port 9 on loopback refuses the connection: a fetch failure whose message must not echo the password.
    const secret = await add(["https://bot:s3cret-token@127.0.0.1:9/agents/x.git"]);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toMatch(/^herdctl: git could not clone https:\/\/127\.0\.0\.1:9\/agents\/x\.git: /);
    expect(secret.stderr + secret.stdout).not.toContain("s3cret-token");
    untouched();
  });
});

/** A tree object from `git mktree` lines, which (unlike `git add`) takes any entry name. */
function mktree(cwd: string, entries: string): string {
  return gitWithInput(cwd, ["mktree"], `${entries}\n`);
}

function gitWithInput(cwd: string, args: string[], input: string): string {
  return execFileSync("git", args, { cwd, input, encoding: "utf8" }).trim();
}
