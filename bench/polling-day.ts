/**
 * A day of a polling agent: a schedule that checks for work 96 times (every 15 minutes for 24
 * hours, compressed to back-to-back fires) and finds some on one fire in ten. Run through a real
 * FleetManager with real claude (CLI runtime) against the stand-in, one fleet per variant:
 *
 * - no gate, a fresh session each fire (the default);
 * - no gate, `resume_session: true` (each fire re-sends the growing session);
 * - a gate, fresh sessions: the model runs only on the fires with work;
 * - no gate, `session: fresh` with `memory: true`: each fire starts a new session whose system
 *   prompt carries the agent's notes, and the agent really rewrites them every fire (a Write of
 *   HERDCTL_MEMORY.md, then its reply: two model requests a fire), against `session: continue`.
 *
 * Figures, from the stand-in's own records: model requests and input tokens sent (the stand-in's
 * estimate, the same one it reports as usage), per fire and for the day; the gate's own cost per
 * skipped fire (job created → ended). The gate variant's tokens are compared with the default's.
 *
 *   npx vite-node bench/polling-day.ts [--quick]
 */
import { spawn } from "node:child_process";
import { FleetManager } from "../packages/core/src/index.js";
import { MEMORY_FILE } from "../packages/core/src/memory/index.js";
import { claudeEnv } from "../packages/core/test/helpers/claude-env.js";
import { type Responder, startStandin, textReply, writeFile } from "../packages/standin/src/index.js";
import { estimateTokens } from "../packages/standin/src/sse.js";
import { scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, median, QUICK } from "./lib/report.js";

const FIRES = QUICK ? 20 : 96;
const WORK_EVERY = 10;

// Counts its own fires in a file of the workspace; every tenth (from the first) has an item.
const GATE =
  'n=$(cat .fires 2>/dev/null || echo 0); echo $((n + 1)) > .fires; [ $((n % 10)) -eq 0 ] || exit 1; echo "item $n: a new issue to triage"';

interface Variant {
  name: string;
  schedule: string;
  /** Agent keys besides the runtime (default: `allowed_tools: [Bash]`). */
  agent?: string;
  responder?: () => Responder;
}

const CHECKED = "Checked: nothing needs doing.";

/**
 * A polling agent that keeps notes: on each fire it rewrites HERDCTL_MEMORY.md (what it last
 * checked, what it watches, its last ten checks), then replies. Bounded, as notes an agent keeps
 * for itself are; the whole file goes back into the next fire's system prompt.
 */
function noteKeeper(): Responder {
  let fire = 0;
  const log: string[] = [];
  return (_req, ctx) => {
    if (ctx.assistantTurns > 0) return textReply(CHECKED);
    fire++;
    log.push(`- check ${fire}: tracker read, no new issues since #${4100 + fire}`);
    const notes = [
      "# Tracker triage notes",
      `Last check: ${fire}, nothing new. Newest issue seen: #${4100 + fire}.`,
      "Watching: #4077 (duplicate of #3990, waiting for the reporter), #4091 (needs a repro on arm64).",
      "Labels in use: bug, needs-repro, duplicate, docs. Maintainer on call: see CODEOWNERS.",
      "Recent checks:",
      ...log.slice(-10),
      "",
    ].join("\n");
    return writeFile(MEMORY_FILE, notes);
  };
}

const VARIANTS: Variant[] = [
  { name: "no gate, fresh session each fire", schedule: "" },
  { name: "no gate, resume_session: true", schedule: "resume_session: true, " },
  { name: "gate, fresh session each fire", schedule: `gate: ${JSON.stringify(GATE)}, ` },
  {
    name: "no gate, session: fresh, memory: true (notes rewritten every fire)",
    schedule: "session: fresh, ",
    agent: "memory: true\npermission_mode: acceptEdits\nallowed_tools: [Bash, Write]",
    responder: noteKeeper,
  },
];

interface DayResult {
  requests: number;
  inputTokens: number;
  /** Input tokens of the first and of the last fire. */
  firstFire: number;
  lastFire: number;
  skipped: number;
  completed: number;
  gateSkipMs: number[];
  wallMs: number;
}

async function day(variant: Variant, index: number): Promise<DayResult> {
  const root = scratch(`herdctl-bench-polling-${index}-`);
  const standin = await startStandin({ responder: variant.responder?.() ?? (() => textReply(CHECKED)) });
  writeFleetFiles(root.dir, `polling${index}`, {
    poller: [
      "runtime: cli",
      variant.agent ?? "allowed_tools: [Bash]",
      "schedules:",
      `  poll: { type: interval, interval: 1s, ${variant.schedule}prompt: "Check the tracker for new issues and triage them." }`,
      "",
    ].join("\n"),
  });
  const fleet = new FleetManager({ config: root.dir, env: claudeEnv(standin, root.dir), watchConfig: false });
  const t0 = performance.now();
  await fleet.start();
  const ended = () =>
    fleet.jobs({ agent: "poller", limit: FIRES + 5 }).jobs.filter((j) => j.finishedAt !== null);
  while (ended().length < FIRES) await new Promise((r) => setTimeout(r, 100));
  const wallMs = performance.now() - t0;
  const jobs = ended()
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .slice(0, FIRES);
  await fleet.stop({ timeoutMs: 0 });
  const failed = jobs.filter((j) => j.status === "failed" || j.status === "timed_out");
  if (failed.length > 0)
    throw new Error(`${variant.name}: ${failed.length} jobs failed: ${failed[0]!.error}`);
  const main = standin.mainRequests;
  const tokens = main.map((r) => estimateTokens(JSON.stringify(r.body?.["messages"] ?? "") + r.systemText));
  // Fires run one after another; the requests of a fire are its share of the day's, in order.
  const perFire = main.length / jobs.filter((j) => j.status === "completed").length;
  const fireTokens = (k: number) =>
    tokens.slice(Math.round(k * perFire), Math.round((k + 1) * perFire)).reduce((a, b) => a + b, 0);
  const result: DayResult = {
    requests: main.length,
    inputTokens: tokens.reduce((a, b) => a + b, 0),
    firstFire: fireTokens(0),
    lastFire: fireTokens(Math.round(main.length / perFire) - 1),
    skipped: jobs.filter((j) => j.status === "skipped").length,
    completed: jobs.filter((j) => j.status === "completed").length,
    gateSkipMs: jobs
      .filter((j) => j.status === "skipped")
      .map((j) => Date.parse(j.finishedAt!) - Date.parse(j.createdAt)),
    wallMs,
  };
  await standin.close();
  root.cleanup();
  return result;
}

/** The floor of a skipped fire: the same gate command spawned on its own, spawn → exit. */
async function gateFloor(): Promise<number[]> {
  const root = scratch("herdctl-bench-polling-floor-");
  const times: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", GATE], { cwd: root.dir, stdio: "ignore" });
      child.on("error", reject);
      child.on("exit", () => resolve());
    });
    times.push(performance.now() - t0);
  }
  root.cleanup();
  return times;
}

console.log(`polling-day: ${FIRES} fires a variant, work on one in ${WORK_EVERY}`);
const results: DayResult[] = [];
for (const [i, variant] of VARIANTS.entries()) {
  const r = await day(variant, i);
  results.push(r);
  console.log(
    `  ${variant.name}: ${r.requests} model requests, ${r.inputTokens.toLocaleString("en")} input tokens ` +
      `(${Math.round(r.inputTokens / FIRES).toLocaleString("en")} a fire), ${r.completed} completed, ` +
      `${r.skipped} skipped, first fire ${r.firstFire.toLocaleString("en")} → last ${r.lastFire.toLocaleString("en")} tokens, ${(r.wallMs / 1000).toFixed(1)} s`,
  );
}
const [plain, resumed, gated, remembered] = results as [DayResult, DayResult, DayResult, DayResult];
const floor = median(await gateFloor());
const withWork = Math.ceil(FIRES / WORK_EVERY);
figure(
  "gate: model requests in a day",
  `${plain.requests} without a gate`,
  `${gated.requests}`,
  gated.requests / plain.requests,
  `only the ${withWork} fires with work reach the model`,
  gated.completed === withWork && gated.skipped === FIRES - withWork,
);
figure(
  "gate: input tokens in a day",
  `${plain.inputTokens.toLocaleString("en")} without a gate`,
  gated.inputTokens.toLocaleString("en"),
  gated.inputTokens / plain.inputTokens,
  `≤ ${(withWork / FIRES + 0.05).toFixed(2)}× (fires with work, plus the gate's output)`,
  gated.inputTokens / plain.inputTokens <= withWork / FIRES + 0.05,
);
figure(
  "resume_session: input tokens in a day",
  `${plain.inputTokens.toLocaleString("en")} fresh`,
  resumed.inputTokens.toLocaleString("en"),
  resumed.inputTokens / plain.inputTokens,
  "reported (the session's history is re-sent on every fire)",
  true,
);
figure(
  "session: fresh + memory: input tokens in a day (notes rewritten every fire)",
  `${resumed.inputTokens.toLocaleString("en")} with session: continue`,
  remembered.inputTokens.toLocaleString("en"),
  remembered.inputTokens / resumed.inputTokens,
  "reported",
  true,
);
for (const [name, r] of [
  ["fresh", plain],
  ["continue", resumed],
  ["fresh + memory", remembered],
] as const)
  figure(
    `${name}: input tokens of the day's last fire (baseline: its first)`,
    r.firstFire.toLocaleString("en"),
    r.lastFire.toLocaleString("en"),
    r.lastFire / r.firstFire,
    "reported (growth over the day)",
    true,
  );
const skipMs = median(gated.gateSkipMs);
figure(
  "gate: a skipped fire, job created → ended (median)",
  `the gate spawned alone ${floor.toFixed(0)} ms`,
  `${skipMs.toFixed(0)} ms`,
  skipMs / floor,
  "≤ floor + 100 ms (no model, no claude process)",
  skipMs <= floor + 100,
);
finish();
