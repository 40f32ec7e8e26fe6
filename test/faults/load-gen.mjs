// A load generator in its own process, so the server under test keeps its event loop to itself:
//   node load-gen.mjs <origin> <rate> <seconds> <path>...   → prints one JSON result line.
// The dashboard token comes in HERDCTL_WEB_TOKEN, kept off the command line where ps shows it.
import { Agent, request } from "node:http";

const [origin, rateArg, secondsArg, ...paths] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const url = new URL(origin);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const headers = { host: url.host, authorization: `Bearer ${process.env.HERDCTL_WEB_TOKEN}` };
const result = { sent: 0, ok: 0, failures: [], seconds: 0, p50Ms: 0, p99Ms: 0 };
const latencies = [];
let pending = 0;
let drained;

function one(path) {
  pending++;
  const started = performance.now();
  const done = (failure) => {
    latencies.push(performance.now() - started);
    if (failure) {
      if (result.failures.length < 20) result.failures.push(`${path}: ${failure}`);
    } else result.ok++;
    if (--pending === 0) drained?.();
  };
  const req = request({ host: url.hostname, port: url.port, path, agent, headers }, (res) => {
    res.resume();
    res.on("end", () =>
      done(res.statusCode >= 200 && res.statusCode < 300 ? undefined : String(res.statusCode)),
    );
  });
  req.on("error", (error) => done(error.message));
  req.end();
}

const t0 = performance.now();
const total = rate * seconds;
// Paced in 5 ms slices that catch up when one runs late, so the mean rate holds.
while (result.sent < total) {
  const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
  while (result.sent < due) one(paths[result.sent++ % paths.length]);
  await new Promise((r) => setTimeout(r, 5));
}
if (pending > 0) await new Promise((r) => (drained = r));
result.failed = result.sent - result.ok;
result.seconds = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
result.p50Ms = latencies[Math.floor(latencies.length * 0.5)] ?? 0;
result.p99Ms = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
agent.destroy();
console.log(JSON.stringify(result));
