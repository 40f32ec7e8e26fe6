// A dashboard-like client in its own process: asks for one page of jobs, again and again, one
// request at a time on a kept-alive connection, until stdin closes; then prints each request's
// latency (ms) as one JSON array. Argument: the page URL; the bearer token comes on the environment.
const url = process.argv[2];
const headers = { authorization: `Bearer ${process.env.HERDCTL_BENCH_TOKEN}` };
const latencies = [];
let running = true;
process.stdin.on("end", () => {
  running = false;
});
process.stdin.resume();
process.stdout.write("ready\n");
while (running) {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const body = await res.json();
  if (!res.ok || !Array.isArray(body.jobs) || body.jobs.length === 0)
    throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  latencies.push(performance.now() - t0);
}
process.stdout.write(`${JSON.stringify(latencies)}\n`);
