/**
 * Output streaming: from the stand-in sending a model reply to the message reaching (a) a `/ws`
 * client of the web server subscribed to the job and (b) `herdctl logs -f` (built CLI) following
 * the daemon over its control socket. Baseline: the same message reaching the stdout of plain
 * `claude -p --output-format stream-json`. The reply is written the moment its request arrives, so
 * the request's arrival time is when the stand-in emitted it. claude prints whole messages, not
 * token deltas, so a "token" reaches any reader when its message does.
 *
 *   npx vite-node bench/streaming.ts [--quick]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import WebSocket from "ws";
import { FleetManager, serveControlSocket } from "../packages/core/src/index.js";
import { claudeEnv, claudePath } from "../packages/core/test/helpers/claude-env.js";
import { bash, type Responder, startStandin, textReply } from "../packages/standin/src/index.js";
import { startWebServer } from "../packages/web/src/server/index.js";
import { CLI, scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, fmt, percentile, QUICK } from "./lib/report.js";

// Under the stand-in's 25-turn limit per conversation, so every reply carries its marker.
const TURNS = QUICK ? 10 : 20;
const RUNS = QUICK ? 2 : 4;

// Every reply carries a marker naming its request, so each reader can tell which reply it got.
const responder: Responder = (req, ctx) => {
  const marker = `mark${String(req.index).padStart(5, "0")}x`;
  return ctx.assistantTurns < TURNS
    ? bash(`echo ${ctx.assistantTurns}`, { text: marker })
    : textReply(`${marker} done`);
};
const root = scratch("herdctl-bench-streaming-");
const standin = await startStandin({ responder });
const env = claudeEnv(standin, root.dir);
writeFleetFiles(root.dir, "benchstream", { worker: "runtime: cli\nallowed_tools: [Bash]\n" });

/** marker → ms from the stand-in writing that reply to `seenAt`. */
function latency(text: string, seenAt: number, into: Map<string, number>): void {
  for (const m of text.matchAll(/mark(\d{5})x/g)) {
    const key = m[0];
    if (into.has(key)) continue;
    const req = standin.requests[Number(m[1])];
    if (req) into.set(key, seenAt - req.receivedAt);
  }
}

async function baselineRun(into: Map<string, number>): Promise<void> {
  const child = spawn(
    claudePath,
    ["-p", "--output-format", "stream-json", "--verbose", "--allowedTools=Bash"],
    {
      cwd: join(root.dir, "workspace"),
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "ignore"],
    },
  );
  child.stdin.end("stream please");
  for await (const line of createInterface({ input: child.stdout })) latency(line, Date.now(), into);
}

const fleet = new FleetManager({ config: root.dir, env, watchConfig: false });
await fleet.start();
const control = await serveControlSocket(fleet, fleet.state.socketPath);
const web = await startWebServer(fleet, {
  host: "127.0.0.1",
  port: 0,
  stateDir: fleet.state.stateDir,
  env: {},
});
const token = readFileSync(join(fleet.state.stateDir, "web-token"), "utf8").trim();
const ws = new WebSocket(`${web.url.replace("http", "ws")}/ws`, {
  headers: { origin: web.url, authorization: `Bearer ${token}` },
});
await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
const viaWs = new Map<string, number>();
ws.on("message", (data) => latency(data.toString(), Date.now(), viaWs));
const logs = spawn(process.execPath, [CLI, "-c", root.dir, "logs", "-f", "--json"], {
  stdio: ["ignore", "pipe", "inherit"],
});
const viaLogs = new Map<string, number>();
const logLines = createInterface({ input: logs.stdout });
logLines.on("line", (line) => latency(line, Date.now(), viaLogs));
await new Promise((r) => setTimeout(r, 1_500)); // logs -f connects

const viaClaude = new Map<string, number>();
try {
  for (let run = 0; run < RUNS; run++) {
    await baselineRun(viaClaude);
    const job = fleet.trigger("worker", { prompt: "stream please", fresh: true });
    ws.send(JSON.stringify({ type: "subscribe", jobId: job.id, from: 0 }));
    const done = await fleet.wait(job.id);
    if (done.status !== "completed") throw new Error(`job ${job.id} ended ${done.status}: ${done.error}`);
    await new Promise((r) => setTimeout(r, 500));
  }
} finally {
  logs.kill("SIGINT");
  ws.close();
  await web.close();
  await control.close();
  await fleet.stop({ timeoutMs: 5_000 });
  await standin.close();
  root.cleanup();
}

const base = [...viaClaude.values()];
console.log(
  `streaming: ${RUNS} runs of ${TURNS + 1} replies; ${base.length} seen by claude's stdout, ${viaWs.size} by /ws, ${viaLogs.size} by logs -f`,
);
for (const [name, map] of [
  ["/ws", viaWs],
  ["herdctl logs -f", viaLogs],
] as const) {
  const ours = [...map.values()];
  const b99 = percentile(base, 99);
  const o99 = percentile(ours, 99);
  figure(
    `streaming reply→${name} p50`,
    fmt(percentile(base, 50)),
    fmt(percentile(ours, 50)),
    percentile(ours, 50) / percentile(base, 50),
    "reported",
    ours.length > 0,
  );
  figure(
    `streaming reply→${name} p99`,
    fmt(b99),
    fmt(o99),
    o99 / b99,
    "< 100 ms",
    o99 < 100 && ours.length >= RUNS * (TURNS + 1) * 0.9,
  );
}
finish();
