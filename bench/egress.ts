/**
 * The egress proxy's cost, every figure against the same local server reached directly in the
 * same run. (1) Bulk transfer (200 MB) through a CONNECT tunnel and as a plain-HTTP proxy request,
 * over the proxy's unix socket (the path a proxy-only container's forwarder takes), MB/s.
 * (2) Small request/response round trips on one kept-alive connection: direct, inside a tunnel,
 * and as plain-HTTP proxy requests; p99 latency added. (3) The same bulk transfer from inside a
 * real proxy-only container (socat through its forwarder) against the same client in a
 * `network: host` container going straight to the server.
 *
 *   npx vite-node bench/egress.ts [--quick]
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Dockerode from "dockerode";
import { buildImage } from "../packages/core/src/docker/image.js";
import { IMAGE_HASH_LABEL } from "../packages/core/src/docker/runtime-image.js";
import { CredentialProxy, PROXY_SOCKET_NAME } from "../packages/core/src/proxy/credential-proxy.js";
import { CredentialSource } from "../packages/core/src/proxy/credential-source.js";
import { parseEgressRules } from "../packages/core/src/proxy/egress-allowlist.js";
import { EgressLog } from "../packages/core/src/proxy/egress-log.js";
import { fixedResolver } from "../packages/core/src/proxy/egress-proxy.js";
import { CONTAINER_PROXY_DIR, forwarderCommand } from "../packages/core/src/proxy/forwarder.js";
import { removeFleetContainers } from "../packages/core/test/docker/runtime-image-fixture.js";
import { figure, finish, fmt, median, percentile, QUICK } from "./lib/report.js";

const BULK_BYTES = (QUICK ? 50 : 200) * 1024 * 1024;
const BULK_RUNS = QUICK ? 1 : 3;
const ROUND_TRIPS = QUICK ? 300 : 2000;
/** Round trips alternate between the three paths in batches of this many. */
const BATCH = 100;
const HOST = "bench.test";
const FLEET = "benchegress";
const PEER = fileURLToPath(new URL("./lib/egress-peer.mjs", import.meta.url));
const KINDS = ["direct", "tunnel", "plain"] as const;
type Kind = (typeof KINDS)[number];

/** The destination, in a process of its own; its port once it listens. */
async function startServer(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [PEER, "server"], { stdio: ["pipe", "pipe", "inherit"] });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  return { port: (JSON.parse(line) as { port: number }).port, child };
}

interface Paths {
  port: number;
  socketPath: string;
  auth: string;
  host: string;
}

/** One client run (a process of its own, like a container's client), its JSON answer. */
async function client<T>(job: Record<string, unknown>): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [PEER, "client"], {
    env: { ...process.env, EGRESS_PEER_JOB: JSON.stringify(job) },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as T;
}

/** The same socat client in two containers of the runtime image: through the forwarder, and on the host's network. */
async function containerBulk(p: Paths, proxySocketDir: string, token: string) {
  const docker = new Dockerode();
  const { hash } = await buildImage({ offline: true });
  const [image] = await docker.listImages({ filters: { label: [`${IMAGE_HASH_LABEL}=${hash}`] } });
  await removeFleetContainers(FLEET);
  const start = async (proxyOnly: boolean) => {
    const container = await docker.createContainer({
      Image: image!.Id,
      Cmd: proxyOnly ? forwarderCommand() : ["sleep", "infinity"],
      Labels: { "herdctl.fleet": FLEET },
      HostConfig: {
        NetworkMode: proxyOnly ? "none" : "host",
        Binds: proxyOnly ? [`${proxySocketDir}:${CONTAINER_PROXY_DIR}:ro`] : [],
        Init: true,
      },
    });
    await container.start();
    return container;
  };
  // The request is sent, then socat waits (-t) for the whole answer; the clock is the container's.
  const script =
    't0=$(date +%s%N); printf "GET /bulk?bytes=%s HTTP/1.1\\r\\nHost: bench.test\\r\\nConnection: close\\r\\n\\r\\n" "$BYTES" | ' +
    'socat -t60 - "$TARGET" | wc -c; t1=$(date +%s%N); echo $((t1 - t0))';
  const run = async (container: Dockerode.Container, target: string) => {
    const exec = await container.exec({
      Cmd: ["sh", "-c", script],
      Env: [`BYTES=${BULK_BYTES}`, `TARGET=${target}`],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({});
    const out: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      docker.modem.demuxStream(stream, { write: (c: Buffer) => out.push(c) } as never, process.stderr);
      stream.once("end", () => resolve());
      stream.once("error", reject);
    });
    const [received, nanos] = Buffer.concat(out).toString().trim().split(/\s+/).map(Number);
    if (!received || received < BULK_BYTES)
      throw new Error(
        `in a container via ${target.split(":")[0]}: ${received} of ${BULK_BYTES} bytes arrived`,
      );
    return BULK_BYTES / 1024 / 1024 / (nanos! / 1e9);
  };
  const direct = await start(false);
  const proxied = await start(true);
  const result = { direct: [] as number[], proxied: [] as number[] };
  try {
    for (let i = 0; i < BULK_RUNS; i++) {
      result.direct.push(await run(direct, `TCP:127.0.0.1:${p.port}`));
      result.proxied.push(
        await run(proxied, `PROXY:127.0.0.1:${HOST}:${p.port},proxyport=3128,proxyauth=herdctl:${token}`),
      );
    }
  } finally {
    await removeFleetContainers(FLEET);
  }
  return result;
}

const server = await startServer();
const proxy = new CredentialProxy({ resolve: fixedResolver({ [HOST]: "127.0.0.1" }) });
await proxy.start();
const log = new EgressLog();
const grant = proxy.grant("bench", new CredentialSource([]), {
  rules: parseEgressRules([`${HOST}:${server.port}`]),
  log,
});
const paths: Paths = {
  port: server.port,
  socketPath: `${proxy.socketDir}/${PROXY_SOCKET_NAME}`,
  auth: `Basic ${Buffer.from(`herdctl:${grant.token}`).toString("base64")}`,
  host: HOST,
};

try {
  const size = `${BULK_BYTES / 1024 / 1024} MB`;
  const rate = (n: number) => fmt(n, "MB/s");
  // A warm-up transfer on each path first: the proxy's code is compiled before the clock runs.
  for (const kind of KINDS) await client({ task: "bulk", kind, bytes: 16 * 1024 * 1024, ...paths });
  const mbps: Record<Kind, number[]> = { direct: [], tunnel: [], plain: [] };
  for (let i = 0; i < BULK_RUNS; i++)
    for (const kind of KINDS)
      mbps[kind].push(
        (await client<{ mbps: number }>({ task: "bulk", kind, bytes: BULK_BYTES, ...paths })).mbps,
      );
  for (const kind of ["tunnel", "plain"] as const) {
    const b = median(mbps.direct);
    const o = median(mbps[kind]);
    figure(
      `egress ${kind === "tunnel" ? "CONNECT tunnel" : "plain HTTP request"} bulk ${size} (unix socket)`,
      rate(b),
      rate(o),
      o / b,
      "reported",
      true,
    );
  }
  const list = (values: number[]) => values.map((n) => n.toFixed(0)).join(", ");
  console.log(
    `egress bulk: ${BULK_RUNS} run(s) of ${size} per path, interleaved; MB/s direct ${list(mbps.direct)}; tunnel ${list(mbps.tunnel)}; plain ${list(mbps.plain)}`,
  );

  const rt = await client<Record<Kind, number[]>>({
    task: "rtt",
    count: ROUND_TRIPS,
    batch: BATCH,
    ...paths,
  });
  const added = (kind: Kind) => percentile(rt[kind], 99) - percentile(rt.direct, 99);
  figure(
    "egress CONNECT tunnel round trip p99",
    fmt(percentile(rt.direct, 99)),
    fmt(percentile(rt.tunnel, 99)),
    undefined,
    "≤ +5 ms added",
    added("tunnel") <= 5,
  );
  // Each plain request is parsed and written again on both sides of the proxy (it is an HTTP
  // proxy, not a byte pipe): about a millisecond, what any Node HTTP forwarder costs. Reported.
  figure(
    "egress plain HTTP request round trip p99",
    fmt(percentile(rt.direct, 99)),
    fmt(percentile(rt.plain, 99)),
    undefined,
    "reported",
    true,
  );
  const spread = (kind: Kind) => `${fmt(median(rt[kind]))} / ${fmt(percentile(rt[kind], 99))}`;
  console.log(
    `egress round trips: ${ROUND_TRIPS} per path on one kept-alive connection, in alternating batches of ${BATCH}; median / p99 direct ${spread("direct")} · tunnel ${spread("tunnel")} · plain ${spread("plain")}`,
  );

  const inContainer = await containerBulk(paths, proxy.socketDir, grant.token);
  const b = median(inContainer.direct);
  const o = median(inContainer.proxied);
  figure(
    `egress bulk ${size} from a proxy-only container (forwarder) vs a network-host container`,
    rate(b),
    rate(o),
    o / b,
    "reported",
    true,
  );
  console.log(
    `egress container bulk: socat in herdctl/runtime, MB/s host network ${list(inContainer.direct)}; forwarder ${list(inContainer.proxied)}`,
  );
  const recorded = log.entries()[0];
  console.log(
    `egress record: ${recorded?.connections} connections, ${((recorded?.bytesDown ?? 0) / 1024 / 1024).toFixed(0)} MB down`,
  );
} finally {
  grant.revoke();
  await proxy.close();
  server.child.stdin!.end();
}
finish();
