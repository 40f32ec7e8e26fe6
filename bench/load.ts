/**
 * 1,000 API requests a second for 30 s on loopback (keep-alive, from a separate process) against a
 * real web server while real jobs run; the fault suite runs the same for 5 s. Reports the rate
 * the server drained, non-2xx answers and lost job output lines.
 *
 *   npx vite-node bench/load.ts [--quick]
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startWebFleet } from "../packages/web/test/helpers/web-fleet.js";
import { figure, finish, fmt, QUICK } from "./lib/report.js";

const SECONDS = QUICK ? 5 : 30;
const RATE = 1_000;
const TURNS = 4;
const LOAD_GEN = fileURLToPath(new URL("../test/faults/load-gen.mjs", import.meta.url));

const f = await startWebFleet();
const jobs: string[] = [];
let stop = false;
const runner = (async () => {
  for (let i = 0; !stop; i += 2) {
    const pair = ["alpha", "beta"].map((agent, k) =>
      f.fleet.trigger(agent, {
        prompt: `load job ${i + k}\n@standin turns ${TURNS}\n@standin delay 200`,
        fresh: true,
      }),
    );
    jobs.push(...pair.map((j) => j.id));
    await Promise.all(pair.map((j) => f.fleet.wait(j.id)));
  }
})();
const paths = ["/api/health", "/api/jobs?limit=20", "/api/agents", "/api/fleet", "/api/schedules"];
const load = await new Promise<{
  sent: number;
  ok: number;
  failed: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}>((resolve, reject) =>
  execFile(
    process.execPath,
    [LOAD_GEN, f.web.url, String(RATE), String(SECONDS), ...paths],
    { env: { ...process.env, HERDCTL_WEB_TOKEN: f.token } },
    (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout))),
  ),
);
stop = true;
await runner;
let lost = 0;
for (const id of jobs) {
  const job = f.fleet.state.jobs.require(id);
  const lines = readFileSync(join(f.stateDir, "jobs", `${id}.jsonl`), "utf8")
    .trimEnd()
    .split("\n");
  const assistant = lines.filter((l) => JSON.parse(l).type === "assistant").length;
  if (job.status !== "completed" || assistant !== TURNS + 1 || !lines.at(-1)?.includes('"type":"result"'))
    lost++;
}
await f.close();

const drained = load.sent / load.seconds;
console.log(
  `load: ${load.sent} requests offered at ${RATE}/s for ${SECONDS} s, drained in ${load.seconds.toFixed(1)} s; ${jobs.length} jobs ran meanwhile`,
);
figure(
  "load API throughput under 1,000 req/s offered",
  `${RATE}/s`,
  `${drained.toFixed(0)}/s`,
  drained / RATE,
  "≥ 0.95 (all answered within the window)",
  drained >= RATE * 0.95,
);
figure(
  "load API latency p50 / p99",
  undefined,
  `${fmt(load.p50Ms)} / ${fmt(load.p99Ms)}`,
  undefined,
  "reported",
  true,
);
figure("load non-2xx responses", undefined, String(load.failed), undefined, "0", load.failed === 0);
figure(
  "load jobs with lost output lines",
  undefined,
  `${lost} of ${jobs.length}`,
  undefined,
  "0",
  lost === 0 && jobs.length > 0,
);
finish();
