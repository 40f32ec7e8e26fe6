import { chownSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { bash, type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IMAGE_UID } from "../../packages/core/src/docker/runtime-image.js";
import { fixedResolver } from "../../packages/core/src/proxy/egress-proxy.js";
import { JobExecutor } from "../../packages/core/src/runner/job-executor.js";
import { ContainerManager } from "../../packages/core/src/runner/runtime/container-manager.js";
import {
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { startAuthRecorder } from "../../packages/core/test/helpers/auth-recorder.js";
import { claudeEnv, claudePath } from "../../packages/core/test/helpers/claude-env.js";
import { writeFleet } from "../../packages/core/test/helpers/fleet.js";
import { runtimeImageId } from "./helpers.js";
import { proxyJobFixture } from "./proxy-job-fixture.js";

/**
 * docker.egress.allow with real containers on network none (proxy-only), real claude and git
 * inside, and herdctl's proxy on the host: git over plain HTTP (HTTP_PROXY, an absolute-URI
 * request) and a CONNECT tunnel (socat) reach an allowlisted test server on the host's 127.0.0.1
 * under the name allowed.test; other hosts are refused, said in the job's output and recorded.
 * No Docker bridge traffic: the container has no network interface but loopback.
 */
const KEY = "sk-ant-REAL-egressjob-Pq5Rt7Yu9Io1";
const FLEET = `faultsegress${process.pid}`;
const REF = "0123456789abcdef0123456789abcdef01234567";

let standin: Standin;
let recorder: Awaited<ReturnType<typeof startAuthRecorder>>;
let imageId: string;
/** The allowlisted destination: plain HTTP on the host's loopback; what it saw, for the key check. */
let site: Server;
let sitePort: number;
const siteSaw: string[] = [];

beforeAll(async () => {
  imageId = await runtimeImageId();
  standin = await startStandin();
  recorder = await startAuthRecorder(standin.url);
  site = createServer((req, res) => {
    siteSaw.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
    // A dumb-protocol git repository: info/refs lists one branch.
    if (req.url?.includes("/info/refs")) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${REF}\trefs/heads/main\n`);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("hello from the allowed site\n");
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  sitePort = (site.address() as AddressInfo).port;
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  await removeFleetContainers(FLEET);
  await new Promise((resolve) => site?.close(resolve));
  await recorder?.close();
  await standin?.close();
});

describe.each(["cli", "sdk"])("docker.egress.allow (%s runtime, real engine)", (runtime) => {
  // Tests only ever use 127.0.0.1: the allowlisted name is mapped there by the proxy's resolver.
  const fx = proxyJobFixture(FLEET, { resolve: fixedResolver({ "allowed.test": "127.0.0.1" }) });
  beforeEach(() => {
    siteSaw.length = 0;
  });

  it("lets git and a CONNECT tunnel reach an allowlisted host, refuses the rest, and records both", async () => {
    const loaded = await writeFleet(
      fx.tmp.dir,
      `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: bypassPermissions\n` +
        "docker:\n  enabled: true\n  memory: 1g\n",
      {
        fleetYaml:
          `version: 1\nfleet: { name: ${FLEET} }\n` +
          `defaults:\n  docker: { image: "${imageId}", network: proxy-only, egress: { allow: ["allowed.test:${sitePort}"] } }\n` +
          "agents:\n  - path: ./agents/worker.yaml\n",
      },
    );
    if (process.getuid?.() === 0) chownSync(loaded.workspace, IMAGE_UID, IMAGE_UID);
    const probe =
      "cd /tmp; " +
      `git ls-remote http://allowed.test:${sitePort}/repo.git > /workspace/allowed.txt 2>&1; ` +
      "git ls-remote http://blocked.test/repo.git > /workspace/blocked.txt 2>&1; " +
      "git ls-remote https://github.com/torvalds/linux.git > /workspace/blocked-tls.txt 2>&1; " +
      // A CONNECT tunnel by hand, the job's token as proxy credentials (as HTTPS_PROXY carries it).
      "printf 'GET /tunnel HTTP/1.0\\r\\nHost: allowed.test\\r\\n\\r\\n' | " +
      `socat -t5 - PROXY:127.0.0.1:allowed.test:${sitePort},proxyport=3128,proxyauth=herdctl:"$ANTHROPIC_API_KEY" > /workspace/tunnel.txt 2>&1; ` +
      "echo probed";
    standin.setResponder(script([bash(probe), textReply("egress probed")]));
    const env = {
      ...claudeEnv(standin, fx.tmp.dir),
      ANTHROPIC_BASE_URL: recorder.url,
      ANTHROPIC_API_KEY: KEY,
    };
    const job = await new JobExecutor({
      state: fx.state,
      claudePath,
      env,
      containers: { manager: new ContainerManager(), fleet: FLEET, proxy: fx.proxy },
    }).execute({ agent: loaded.agent, prompt: "probe egress", triggerType: "manual" });
    expect(job).toMatchObject({ status: "completed", summary: "egress probed" });

    const file = (name: string) => readFileSync(join(loaded.workspace, name), "utf8");
    expect(file("allowed.txt")).toBe(`${REF}\trefs/heads/main\n`);
    expect(file("tunnel.txt")).toContain("hello from the allowed site");
    expect(file("blocked.txt")).toMatch(/403/);
    expect(file("blocked-tls.txt")).toMatch(/403|CONNECT/);
    // The site saw the requests with no credential of any kind: no key, no job token.
    expect(siteSaw.some((line) => line.startsWith("GET /repo.git/info/refs"))).toBe(true);
    expect(siteSaw.some((line) => line.startsWith("GET /tunnel"))).toBe(true);
    for (const line of siteSaw) {
      expect(line).not.toContain(KEY);
      expect(line).not.toContain("herdctl-job-");
      expect(line.toLowerCase()).not.toContain("authorization");
    }

    const stored = fx.state.jobs.get(job.id)!;
    const reached = stored.egress ?? [];
    const allowed = reached.find((e) => e.host === "allowed.test" && e.allowed);
    expect(allowed).toMatchObject({ port: sitePort });
    expect(allowed!.connections).toBeGreaterThanOrEqual(2);
    expect(allowed!.bytesUp).toBeGreaterThan(0);
    expect(allowed!.bytesDown).toBeGreaterThan(0);
    expect(reached.find((e) => e.host === "blocked.test")).toMatchObject({ port: 80, allowed: false });
    expect(reached.find((e) => e.host === "github.com")).toMatchObject({ port: 443, allowed: false });

    // Each refusal is a line in the job's output, naming the host and how to allow it.
    const output = JSON.stringify(fx.state.readJobOutput(job.id));
    expect(output).toContain(
      'egress to blocked.test:80 refused: not in docker.egress.allow; to allow it, add \\"blocked.test\\" to docker.egress.allow in the fleet file',
    );
    expect(output).toContain("egress to github.com:443 refused");
  });
});
