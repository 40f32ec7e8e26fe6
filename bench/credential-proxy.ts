/**
 * The credential proxy's cost. (1) A Docker job through the proxy (network proxy-only: forwarder,
 * unix socket, token swap) against today's direct path (network host, key in the exec
 * environment), trigger → completed, interleaved in the same run, medians after a warm-up.
 * (2) Server-sent events through the proxy against the same stream read directly: per-event
 * latency from the upstream's write to the client's read, p99 added by the proxy.
 *
 *   npx vite-node bench/credential-proxy.ts [--quick]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import Dockerode from "dockerode";
import { buildImage } from "../packages/core/src/docker/image.js";
import { IMAGE_HASH_LABEL } from "../packages/core/src/docker/runtime-image.js";
import { FleetManager } from "../packages/core/src/index.js";
import { CredentialProxy } from "../packages/core/src/proxy/credential-proxy.js";
import { CredentialSource } from "../packages/core/src/proxy/credential-source.js";
import { removeFleetContainers } from "../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv } from "../packages/core/test/helpers/claude-env.js";
import { startStandin, textReply } from "../packages/standin/src/index.js";
import { scratch } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, percentile, QUICK } from "./lib/report.js";

const ITERATIONS = QUICK ? 2 : 7;
const EVENTS = QUICK ? 200 : 1000;
const FLEET = "benchproxy";

async function sseLatency(): Promise<{ direct: number[]; proxied: number[] }> {
  // Each event carries its send time; the reader subtracts it on arrival (same process, same clock).
  const upstream = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/event-stream" });
    let n = 0;
    const tick = setInterval(() => {
      res.write(`event: content_block_delta\ndata: ${performance.now()}\n\n`);
      if (++n === EVENTS) {
        clearInterval(tick);
        res.end();
      }
    }, 2);
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const proxy = new CredentialProxy();
  await proxy.start();
  const grant = proxy.grant(
    "bench",
    new CredentialSource([() => ({ ANTHROPIC_API_KEY: "sk-bench", ANTHROPIC_BASE_URL: upstreamUrl })]),
  );
  const read = (options: { port?: number; socketPath?: string }) =>
    new Promise<number[]>((resolve, reject) => {
      const latencies: number[] = [];
      const req = request(
        { ...options, path: "/v1/messages", method: "POST", headers: { "x-api-key": grant.token } },
        (res) => {
          let buffer = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            const now = performance.now();
            buffer += chunk;
            let end = buffer.indexOf("\n\n");
            while (end !== -1) {
              const sent = Number(/data: (\S+)/.exec(buffer.slice(0, end))?.[1]);
              latencies.push(now - sent);
              buffer = buffer.slice(end + 2);
              end = buffer.indexOf("\n\n");
            }
          });
          res.on("end", () => resolve(latencies));
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
  const direct = await read({ port: Number(new URL(upstreamUrl).port) });
  // The unix socket: the path a proxy-only container's forwarder takes.
  const proxied = await read({ socketPath: join(proxy.socketDir, "api.sock") });
  grant.revoke();
  await proxy.close();
  upstream.closeAllConnections();
  upstream.close();
  return { direct, proxied };
}

async function dockerJobs(): Promise<{
  direct: number[];
  proxied: number[];
  bridged: number[];
  hosted: number[];
}> {
  const { hash } = await buildImage({ offline: true });
  const [image] = await new Dockerode().listImages({ filters: { label: [`${IMAGE_HASH_LABEL}=${hash}`] } });
  const root = scratch("herdctl-bench-proxy-");
  const standin = await startStandin({ responder: () => textReply("hello") });
  await removeFleetContainers(FLEET);
  mkdirSync(join(root.dir, "agents"), { recursive: true });
  mkdirSync(join(root.dir, "workspace"), { recursive: true });
  for (const name of ["direct", "proxied", "bridged", "hosted"])
    writeFileSync(
      join(root.dir, "agents", `${name}.yaml`),
      `name: ${name}\nworking_directory: ../workspace\nruntime: cli\ndocker: { enabled: true }\n`,
    );
  writeFileSync(
    join(root.dir, "herdctl.yaml"),
    `version: 1\nfleet: { name: ${FLEET} }\ndefaults:\n  docker: { image: "${image!.Id}" }\nagents:\n` +
      // The key in the exec environment: what credentials: env still does, and the default once was.
      "  - { path: ./agents/direct.yaml, overrides: { docker: { network: host, credentials: env } } }\n" +
      "  - { path: ./agents/proxied.yaml, overrides: { docker: { network: proxy-only } } }\n" +
      // Today's default: bridge, the credential kept on the host, the proxy reached by socket.
      "  - { path: ./agents/bridged.yaml }\n" +
      // The proxy alone: host networking like direct, the key kept on the host.
      "  - { path: ./agents/hosted.yaml, overrides: { docker: { network: host } } }\n",
  );
  const fleet = new FleetManager({ config: root.dir, env: claudeEnv(standin, root.dir), watchConfig: false });
  await fleet.start();
  const run = async (agent: string) => {
    const t0 = Date.now();
    const job = await fleet.wait(fleet.trigger(agent, { prompt: "Say hello.", fresh: true }).id);
    if (job.status !== "completed")
      throw new Error(`${agent}: job ${job.id} ended ${job.status}: ${job.error}`);
    return Date.now() - t0;
  };
  const direct: number[] = [];
  const proxied: number[] = [];
  const bridged: number[] = [];
  const hosted: number[] = [];
  try {
    for (let i = 0; i <= ITERATIONS; i++) {
      const d = await run("direct");
      const p = await run("proxied");
      const b = await run("bridged");
      const h = await run("hosted");
      if (i === 0) continue; // warm-up
      direct.push(d);
      proxied.push(p);
      bridged.push(b);
      hosted.push(h);
    }
  } finally {
    await fleet.stop({ timeoutMs: 5_000 });
    await standin.close();
    await removeFleetContainers(FLEET);
    root.cleanup();
  }
  return { direct, proxied, bridged, hosted };
}

const sse = await sseLatency();
const added = percentile(sse.proxied, 99) - percentile(sse.direct, 99);
figure(
  "credential-proxy SSE event latency p99",
  fmt(percentile(sse.direct, 99)),
  fmt(percentile(sse.proxied, 99)),
  undefined,
  "≤ +5 ms added",
  added <= 5,
);
console.log(
  `credential-proxy SSE: ${EVENTS} events every 2 ms; median direct ${fmt(median(sse.direct))} · through the proxy ${fmt(median(sse.proxied))}; p99 added ${fmt(added)}`,
);
if (!QUICK) {
  const jobs = await dockerJobs();
  const b = median(jobs.direct);
  const o = median(jobs.proxied);
  figure(
    "credential-proxy docker job (proxy-only vs host + key) trigger→completed",
    fmt(b),
    fmt(o),
    o / b,
    "≤ +3%",
    o <= b * 1.03,
  );
  const h = median(jobs.hosted);
  figure(
    "credential-proxy docker job (host + proxy vs host + key: the proxy alone) trigger→completed",
    fmt(b),
    fmt(h),
    h / b,
    "≤ +3%",
    h <= b * 1.03,
  );
  const d = median(jobs.bridged);
  figure(
    "credential-proxy docker job (default: bridge + proxy vs host + key) trigger→completed",
    fmt(b),
    fmt(d),
    d / b,
    "≤ +3%",
    d <= b * 1.03,
  );
  console.log(
    `credential-proxy docker: medians of ${ITERATIONS} runs each after one warm-up; direct ${jobs.direct.join(", ")} ms; proxy-only ${jobs.proxied.join(", ")} ms; bridge ${jobs.bridged.join(", ")} ms; host + proxy ${jobs.hosted.join(", ")} ms`,
  );
} else {
  console.log("credential-proxy: Docker jobs skipped in quick mode");
}
finish();
