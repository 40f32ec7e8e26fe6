/**
 * The floor of any Node CLI that runs claude: a `node -e` program that only spawns `claude -p hi`
 * and pipes its output, against plain `claude -p hi`, alternating in one loop on the same loopback
 * stand-in. Each sample is timed by /usr/bin/time: wall, and CPU (user + sys) of the whole process
 * tree, so the ratio can be read apart from the machine's load.
 *
 *   npx vite-node bench/claude-floor.ts [--quick]
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { claudeEnv, claudePath } from "../packages/core/test/helpers/claude-env.js";
import { startStandin, textReply } from "../packages/standin/src/index.js";
import { scratch } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const RUNS = QUICK ? 2 : 11;
const root = scratch("herdctl-bench-claude-floor-");
const workspace = join(root.dir, "workspace");
mkdirSync(workspace, { recursive: true });
const standin = await startStandin({ responder: () => textReply("hello") });
const env: NodeJS.ProcessEnv = { ...process.env, ...claudeEnv(standin, root.dir) };

/** The least a Node program can do to run claude: spawn it and pipe its output to its own. */
const WRAPPER = `const c = require("node:child_process").spawn(process.argv[1], ["-p", "hi"], { stdio: ["ignore", "pipe", "inherit"] });
c.stdout.pipe(process.stdout);
c.on("close", (code) => process.exit(code ?? 1));`;

interface Sample {
  wall: number;
  cpu: number;
}

/** One whole process under /usr/bin/time: wall and user + sys of it and its children, in ms. */
function timed(command: string, args: string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-f", "TIMED %e %U %S", command, ...args], {
      cwd: workspace,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const m = /TIMED ([\d.]+) ([\d.]+) ([\d.]+)/.exec(err);
      if (code !== 0 || !m) return reject(new Error(`${command}: exit ${code}\n${err}`));
      resolve({ wall: Number(m[1]) * 1000, cpu: (Number(m[2]) + Number(m[3])) * 1000 });
    });
  });
}

const plain: Sample[] = [];
const wrapped: Sample[] = [];
try {
  for (let i = 0; i <= RUNS; i++) {
    const p = await timed(claudePath, ["-p", "hi"]);
    const w = await timed(process.execPath, ["-e", WRAPPER, claudePath]);
    if (i === 0) continue;
    plain.push(p);
    wrapped.push(w);
  }
  for (const what of ["wall", "cpu"] as const) {
    const base = median(plain.map((s) => s[what]));
    const ours = median(wrapped.map((s) => s[what]));
    figure(
      `node spawning claude -p hi (${what})`,
      `claude -p hi ${fmt(base)}`,
      fmt(ours),
      ours / base,
      "informational: the floor of a Node CLI's trigger",
      true,
    );
  }
} finally {
  await standin.close();
  root.cleanup();
}
finish();
