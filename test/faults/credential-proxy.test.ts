import { chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bash, hang, type Standin, script, startStandin, textReply } from "@herdctl/standin";
import Dockerode from "dockerode";
import { afterAll, beforeAll, beforeEach, describe, expect, it, test } from "vitest";
import { IMAGE_UID } from "../../packages/core/src/docker/runtime-image.js";
import { CredentialProxy } from "../../packages/core/src/proxy/credential-proxy.js";
import { JobExecutor } from "../../packages/core/src/runner/job-executor.js";
import { ContainerManager } from "../../packages/core/src/runner/runtime/container-manager.js";
import {
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { startAuthRecorder } from "../../packages/core/test/helpers/auth-recorder.js";
import { claudeEnv, claudePath } from "../../packages/core/test/helpers/claude-env.js";
import { writeFleet } from "../../packages/core/test/helpers/fleet.js";
import { until } from "../../packages/core/test/helpers/until.js";
import { describeRuntimes } from "../setup/runtimes.js";
import { runtimeImageId } from "./helpers.js";
import { proxyJobFixture } from "./proxy-job-fixture.js";

/**
 * docker.network: proxy-only (which implies docker.credentials: proxy) with real containers, real
 * claude and the stand-in behind herdctl's credential proxy: the container has no network but the
 * forwarder to the proxy's unix socket, the key stays on the host, the container holds only a
 * per-job token that dies with the job, a refreshed OAuth login reaches a running job, and a proxy
 * that goes away ends the job cleanly.
 */
const KEY_HEAD = "sk-ant-REAL";
const KEY_TAIL = "proxyjob-Zq7Xw9Vb2Nm4Lk6Jh8Gf0Ds1";
const KEY = `${KEY_HEAD}-${KEY_TAIL}`;
const FLEET = `faultsproxy${process.pid}`;
const docker = new Dockerode();

/**
 * What the agent runs inside: its environment, every process's environment and command line, and
 * a search of the whole filesystem for the key. The key's two halves are joined only inside the
 * shell, so the command itself (kept in claude's transcript) does not contain it.
 */
const PROBE =
  "env > /workspace/env.txt; " +
  "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < \"$f\"; echo; done > /workspace/proc.txt 2>/dev/null; " +
  `a=${KEY_HEAD}; b=${KEY_TAIL.slice(0, 8)}; ` +
  'grep -rIl --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev -e "$a-$b" / > /workspace/found.txt 2>/dev/null; ' +
  "ls /sys/class/net > /workspace/net.txt; " +
  // The Docker host's bridge address: unreachable without a network, so nothing is ever sent.
  "socat -T2 /dev/null TCP:172.17.0.1:80,connect-timeout=2 2> /workspace/direct.txt; " +
  "echo probed";

let standin: Standin;
let recorder: Awaited<ReturnType<typeof startAuthRecorder>>;
/** By id: other test files may point the shared tag at another build meanwhile. */
let imageId: string;

beforeAll(async () => {
  imageId = await runtimeImageId();
  standin = await startStandin();
  recorder = await startAuthRecorder(standin.url);
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  await removeFleetContainers(FLEET);
  await recorder?.close();
  await standin?.close();
});

// `test` on both runtimes: each hands claude the proxy's address and token its own way. The proxy's
// own behaviour is shared: `it`, one runtime per test.
describeRuntimes("docker.network: proxy-only (%s runtime, real engine)", (runtime, it) => {
  const fx = proxyJobFixture(FLEET);
  beforeEach(() => {
    recorder.seen.length = 0;
  });

  async function proxiedAgent() {
    const loaded = await writeFleet(
      fx.tmp.dir,
      `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: bypassPermissions\n` +
        "docker:\n  enabled: true\n  memory: 1g\n",
      {
        fleetYaml:
          `version: 1\nfleet: { name: ${FLEET} }\n` +
          `defaults:\n  docker: { image: "${imageId}", network: proxy-only }\n` +
          "agents:\n  - path: ./agents/worker.yaml\n",
      },
    );
    if (process.getuid?.() === 0) chownSync(loaded.workspace, IMAGE_UID, IMAGE_UID);
    return loaded;
  }

  const managers: ContainerManager[] = [];
  const executor = (env: Record<string, string>) => {
    const manager = new ContainerManager();
    managers.push(manager);
    return new JobExecutor({
      state: fx.state,
      claudePath,
      env,
      containers: { manager, fleet: FLEET, proxy: fx.proxy },
    });
  };

  test("completes through the proxy; nothing in the container holds the key; the token dies with the job", async () => {
    const { agent, workspace } = await proxiedAgent();
    standin.setResponder(script([bash(PROBE), textReply("done through the proxy")]));
    const env = {
      ...claudeEnv(standin, fx.tmp.dir),
      ANTHROPIC_BASE_URL: recorder.url,
      ANTHROPIC_API_KEY: KEY,
    };
    const job = await executor(env).execute({ agent, prompt: "probe", triggerType: "manual" });
    expect(job).toMatchObject({ status: "completed", summary: "done through the proxy" });

    // The stand-in was reached, through the proxy, with the real key.
    const messages = recorder.seen.filter((s) => s.path.startsWith("/v1/messages"));
    expect(messages.length).toBeGreaterThanOrEqual(2);
    expect(messages.every((s) => s.apiKey === KEY && s.authorization === undefined)).toBe(true);

    const seenEnv = readFileSync(join(workspace, "env.txt"), "utf8");
    const procs = readFileSync(join(workspace, "proc.txt"), "utf8");
    expect(seenEnv).toContain("ANTHROPIC_BASE_URL=http://127.0.0.1:3128\n");
    // No network but loopback: the forwarder to the proxy's socket is the only way out.
    expect(readFileSync(join(workspace, "net.txt"), "utf8")).toBe("lo\n");
    expect(readFileSync(join(workspace, "direct.txt"), "utf8")).toContain("Network is unreachable");
    const token = /^ANTHROPIC_API_KEY=(herdctl-job-\S+)$/m.exec(seenEnv)?.[1];
    expect(token).toBeDefined();
    expect(procs).toContain(token);
    for (const text of [seenEnv, procs]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(KEY_TAIL);
    }
    expect(readFileSync(join(workspace, "found.txt"), "utf8")).toBe("");

    // A copy of the token taken out of the container is worthless now.
    expect(fx.proxy.activeGrants).toBe(0);
    const before = recorder.seen.length;
    const replay = await fetch(`http://127.0.0.1:${fx.proxy.port}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": token!, "content-type": "application/json" },
      body: '{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[]}',
    });
    expect(replay.status).toBe(401);
    expect(recorder.seen.length).toBe(before);
  });

  it("passes a refreshed OAuth login on the host to the job's next request", async () => {
    const { agent } = await proxiedAgent();
    const env = { ...claudeEnv(standin, fx.tmp.dir), ANTHROPIC_BASE_URL: recorder.url };
    delete (env as Record<string, string>).ANTHROPIC_API_KEY;
    const login = (token: string) =>
      writeFileSync(
        join(env.CLAUDE_CONFIG_DIR, ".credentials.json"),
        JSON.stringify({
          claudeAiOauth: { accessToken: token, refreshToken: "r", expiresAt: 4102444800000 },
        }),
      );
    mkdirSync(env.CLAUDE_CONFIG_DIR, { recursive: true });
    login("sk-ant-oat01-FIRST-login-aaaaaaaaaaaa");
    let turn = 0;
    standin.setResponder(() => {
      turn++;
      if (turn === 1) {
        // The host's login is refreshed while the job runs.
        login("sk-ant-oat01-SECOND-refreshed-login-bbbbbbbbbbbb");
        return bash("echo step");
      }
      return textReply("saw the refresh");
    });
    const job = await executor(env).execute({ agent, prompt: "two turns", triggerType: "manual" });
    expect(job.status).toBe("completed");
    const messages = recorder.seen.filter(
      (s) => s.path.startsWith("/v1/messages") && !s.path.includes("count_tokens"),
    );
    expect(messages[0]?.authorization).toBe("Bearer sk-ant-oat01-FIRST-login-aaaaaaaaaaaa");
    expect(messages.at(-1)?.authorization).toBe("Bearer sk-ant-oat01-SECOND-refreshed-login-bbbbbbbbbbbb");
    expect(messages.every((s) => s.apiKey === undefined && s.beta?.includes("oauth-2025-04-20"))).toBe(true);
  });

  it("fails the job cleanly and leaves no container when the proxy dies mid-job", async () => {
    const { agent } = await proxiedAgent();
    standin.setResponder(() => hang());
    const env = {
      ...claudeEnv(standin, fx.tmp.dir),
      ANTHROPIC_BASE_URL: recorder.url,
      ANTHROPIC_API_KEY: KEY,
    };
    const running = executor(env).execute({ agent, prompt: "wait forever", triggerType: "manual" });
    await until(
      () => standin.mainRequests.length > 0 && recorder.seen.length > 0,
      "a request through the proxy",
    );
    await fx.proxy.close();
    const job = await running;
    expect(job).toMatchObject({ status: "failed", exitReason: "api_error" });
    expect(job.error).toBe(
      `herdctl's credential proxy stopped while claude (${runtime} runtime) ran in the container, so it could not reach the model; the job was ended. Restart herdctl and run it again`,
    );
    // A used container is removed after the job's end is reported (ContainerManager.retire).
    await Promise.all(managers.map((m) => m.settled()));
    const left = await docker.listContainers({ all: true, filters: { label: [`herdctl.fleet=${FLEET}`] } });
    expect(left).toHaveLength(0);
  });
});

/**
 * The default: a fleet that writes neither docker.network nor docker.credentials gets a bridge
 * container that still never holds the key. It reaches the proxy through the same mounted socket
 * and forwarder as proxy-only. Nothing here sends traffic over the bridge: claude's requests go to
 * the container's own loopback, and the egress probe asks the forwarder, not the network.
 */
describe("docker defaults: bridge network, credentials kept on the host (cli runtime, real engine)", () => {
  const fx = proxyJobFixture(FLEET);
  beforeEach(() => {
    recorder.seen.length = 0;
  });

  it("completes through the socket; no key in the container; its token opens no egress", async () => {
    const { agent, workspace } = await writeFleet(
      fx.tmp.dir,
      "runtime: cli\nmodel: claude-sonnet-4-5\npermission_mode: bypassPermissions\n" +
        "docker:\n  enabled: true\n  memory: 1g\n",
      {
        fleetYaml:
          `version: 1\nfleet: { name: ${FLEET} }\n` +
          `defaults:\n  docker: { image: "${imageId}" }\n` +
          "agents:\n  - path: ./agents/worker.yaml\n",
      },
    );
    // Nothing written: what follows is the default.
    expect(agent.docker).not.toHaveProperty("network");
    expect(agent.docker).not.toHaveProperty("credentials");
    if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
    // An egress request the way any proxy-aware tool would send it, through the forwarder.
    const probe =
      "env > /workspace/env.txt; " +
      "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < \"$f\"; echo; done > /workspace/proc.txt 2>/dev/null; " +
      `a=${KEY_HEAD}; b=${KEY_TAIL.slice(0, 8)}; ` +
      'grep -rIl --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev -e "$a-$b" / > /workspace/found.txt 2>/dev/null; ' +
      'auth=$(printf "herdctl:%s" "$ANTHROPIC_API_KEY" | base64 -w0); ' +
      'printf "CONNECT example.com:443 HTTP/1.1\\r\\nHost: example.com:443\\r\\nProxy-Authorization: Basic %s\\r\\n\\r\\n" "$auth" ' +
      "| socat -T5 - TCP:127.0.0.1:3128 > /workspace/egress.txt 2>&1; " +
      "ls /sys/class/net > /workspace/net.txt; " +
      "echo probed";
    standin.setResponder(script([bash(probe), textReply("done on bridge")]));
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
    }).execute({ agent, prompt: "probe", triggerType: "manual" });
    expect(job).toMatchObject({ status: "completed", summary: "done on bridge" });

    const messages = recorder.seen.filter((s) => s.path.startsWith("/v1/messages"));
    expect(messages.length).toBeGreaterThanOrEqual(2);
    expect(messages.every((s) => s.apiKey === KEY)).toBe(true);
    const seenEnv = readFileSync(join(workspace, "env.txt"), "utf8");
    const procs = readFileSync(join(workspace, "proc.txt"), "utf8");
    expect(seenEnv).toContain("ANTHROPIC_BASE_URL=http://127.0.0.1:3128\n");
    expect(seenEnv).toMatch(/^ANTHROPIC_API_KEY=herdctl-job-\S+$/m);
    // A bridge interface exists (unlike proxy-only), yet the key never came through it.
    expect(readFileSync(join(workspace, "net.txt"), "utf8")).toContain("eth0");
    for (const text of [seenEnv, procs]) expect(text).not.toContain(KEY_TAIL);
    expect(readFileSync(join(workspace, "found.txt"), "utf8")).toBe("");
    // Only a proxy-only job's grant carries an allowlist; a bridge job's token reaches the API alone.
    expect(readFileSync(join(workspace, "egress.txt"), "utf8")).toMatch(/^HTTP\/1\.1 403 /);
  });
  it("keeps a persistent container across a restart of herdctl: it reaches the new proxy's socket", async () => {
    const { agent, workspace } = await writeFleet(
      fx.tmp.dir,
      "runtime: cli\nmodel: claude-sonnet-4-5\npermission_mode: bypassPermissions\n" +
        "docker:\n  enabled: true\n  memory: 1g\n  ephemeral: false\n",
      {
        fleetYaml:
          `version: 1\nfleet: { name: ${FLEET} }\n` +
          `defaults:\n  docker: { image: "${imageId}" }\n` +
          "agents:\n  - path: ./agents/worker.yaml\n",
      },
    );
    if (process.getuid?.() === 0) chownSync(workspace, IMAGE_UID, IMAGE_UID);
    standin.setResponder(() => textReply("through whichever proxy runs now"));
    const env = {
      ...claudeEnv(standin, fx.tmp.dir),
      ANTHROPIC_BASE_URL: recorder.url,
      ANTHROPIC_API_KEY: KEY,
    };
    // Each "run" of herdctl: its own proxy (keyed by the state directory) and container manager.
    const run = async () => {
      const own = new CredentialProxy({ socketKey: join(fx.tmp.dir, ".herdctl") });
      try {
        return await new JobExecutor({
          state: fx.state,
          claudePath,
          env,
          containers: { manager: new ContainerManager(), fleet: FLEET, proxy: own },
        }).execute({ agent, prompt: "hello", triggerType: "manual", session: { mode: "fresh" } });
      } finally {
        await own.close();
      }
    };
    const first = await run();
    const second = await run();
    expect(first.status).toBe("completed");
    expect(second).toMatchObject({ status: "completed", summary: "through whichever proxy runs now" });
    expect(second.containerId).toBe(first.containerId);
  });
});
