/**
 * `herdctl agent add` (the built CLI, spawned) against its floor: the node start-up and fleet load
 * any command that edits the fleet pays (`herdctl config validate`) plus the git work any install
 * needs (`git clone --no-checkout` of the same local repository, then `git checkout`). The
 * difference is herdctl's own part: resolving the ref, checking the tree, loading the fleet again
 * with the agent in it, copying, recording, editing the fleet file.
 * Interleaved, 7 runs after a warm-up, medians; `agent remove -y` is timed on its own.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const BIN = fileURLToPath(new URL("../packages/cli/dist/index.js", import.meta.url));
const RUNS = QUICK ? 3 : 7;
const tmp = mkdtempSync(join(tmpdir(), "herdctl-bench-agent-add-"));

function git(cwd: string, ...args: string[]): void {
  execFileSync("git", args, {
    cwd,
    stdio: "ignore",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "b",
      GIT_AUTHOR_EMAIL: "b@b",
      GIT_COMMITTER_NAME: "b",
      GIT_COMMITTER_EMAIL: "b@b",
    },
  });
}

function timed(command: string, args: string[], cwd: string): number {
  const t0 = performance.now();
  const result = spawnSync(command, args, { cwd, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed:\n${result.stderr}`);
  return ms;
}

try {
  // An agent as people publish them: its file, a dozen prompts, a README.
  const bare = join(tmp, "agent.git");
  const work = join(tmp, "work");
  mkdirSync(bare);
  mkdirSync(work);
  git(bare, "init", "--quiet", "--bare", "--initial-branch=main");
  git(work, "init", "--quiet", "--initial-branch=main");
  writeFileSync(
    join(work, "agent.yaml"),
    'name: bench\ndescription: a benchmark agent\nschedules:\n  daily: { type: cron, cron: "0 9 * * *" }\n',
  );
  mkdirSync(join(work, "prompts"));
  for (let i = 0; i < 12; i++) writeFileSync(join(work, "prompts", `p${i}.md`), `Prompt ${i}.\n`.repeat(50));
  writeFileSync(join(work, "README.md"), "# bench agent\n");
  git(work, "add", ".");
  git(work, "commit", "--quiet", "-m", "agent");
  git(work, "push", "--quiet", bare, "HEAD:main");
  const fleet = join(tmp, "fleet");
  mkdirSync(fleet);
  writeFileSync(join(fleet, "herdctl.yaml"), "version: 1\nfleet: { name: bench }\nagents: []\n");

  const floor: number[] = [];
  const ours: number[] = [];
  const removes: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const clone = join(tmp, `clone-${i}`);
    const f =
      timed(process.execPath, [BIN, "config", "validate"], fleet) +
      timed("git", ["clone", "--quiet", "--no-checkout", bare, clone], tmp) +
      timed("git", ["checkout", "--quiet", "--detach", "HEAD"], clone);
    rmSync(clone, { recursive: true, force: true });
    const o = timed(process.execPath, [BIN, "agent", "add", bare], fleet);
    const r = timed(process.execPath, [BIN, "agent", "remove", "bench", "-y"], fleet);
    if (i === 0) continue; // warm-up
    floor.push(f);
    ours.push(o);
    removes.push(r);
  }
  const base = median(floor);
  const mine = median(ours);
  figure(
    "agent add (local repo, 14 files), whole command",
    `config validate + git clone + checkout ${fmt(base)}`,
    fmt(mine),
    mine / base,
    "≤ floor + 300 ms",
    mine <= base + 300,
  );
  figure("agent remove -y, whole command", undefined, fmt(median(removes)), undefined, "reported", true);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
finish();
