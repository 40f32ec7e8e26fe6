import { chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  bash,
  type Responder,
  type Standin,
  script,
  startStandin,
  type Turn,
  textReply,
  toolUse,
} from "@herdctl/standin";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import { IMAGE_UID } from "../../packages/core/src/docker/runtime-image.js";
import { fixedResolver } from "../../packages/core/src/proxy/egress-proxy.js";
import { JobExecutor } from "../../packages/core/src/runner/job-executor.js";
import { ContainerManager } from "../../packages/core/src/runner/runtime/container-manager.js";
import {
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv, claudePath } from "../../packages/core/test/helpers/claude-env.js";
import { tempDir, writeFleet } from "../../packages/core/test/helpers/fleet.js";
import { describeRuntimes } from "../setup/runtimes.js";
import { type EgressSite, GIT_REF, PAGE_MARKER, startEgressSite } from "./egress-site.js";
import { runtimeImageId } from "./helpers.js";
import { proxyJobFixture } from "./proxy-job-fixture.js";

/**
 * MCP servers and WebFetch from a proxy-only container (network none), Anthropic faked by the
 * stand-in: claude inside reaches a streamable-HTTP MCP server and a web page on the host's
 * 127.0.0.1 only through herdctl's egress proxy, under the allowlisted name allowed.test (the
 * proxy's resolver maps it there; the container has no DNS and sends the name in CONNECT or the
 * absolute URL). The same tools aimed at a host the allowlist does not name are refused and recorded;
 * WebFetch's own domain check (api.anthropic.com), which could only be refused, is turned off by
 * herdctl for proxy-only jobs, over a project setting that asks for it; and a tunnel still moving bytes when the job ends has them in the job's record.
 */
/** The container user owns the workspace and what the test put in it. */
function chownTree(dir: string): void {
  chownSync(dir, IMAGE_UID, IMAGE_UID);
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    chownSync(join(entry.parentPath, entry.name), IMAGE_UID, IMAGE_UID);
}

const KEY = "sk-ant-REAL-egressmcp-Zx8Cv6Bn4Mm2";
const FLEET = `faultsegressmcp${process.pid}`;

const HOLD_BYTES = 256 * 1024;

let standin: Standin;
let imageId: string;
let site: EgressSite;
let siteDir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  imageId = await runtimeImageId();
  standin = await startStandin();
  siteDir = tempDir();
  site = await startEgressSite({ dir: siteDir.dir, tlsName: "allowed.test", holdBytes: HOLD_BYTES });
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  await removeFleetContainers(FLEET);
  await site?.close();
  siteDir?.cleanup();
  await standin?.close();
});

/**
 * WebFetch hands the page to a small model with the caller's question, in a conversation of its
 * own: that request gets a summary naming the marker, every other request the scripted turns.
 */
function withPageSummaries(main: Responder): Responder {
  return (req, ctx) =>
    req.tools.length === 0 && req.rawBody.includes(PAGE_MARKER)
      ? textReply(`the page says ${PAGE_MARKER}`)
      : main(req, ctx);
}

// `test` on both runtimes: each passes MCP servers and project settings to claude its own way. The
// proxy's refusals and tunnels are shared: `it`, one runtime per test.
describeRuntimes(
  "MCP, WebFetch and held tunnels through docker.egress.allow (%s runtime, real engine)",
  (runtime, it) => {
    // Tests only ever use 127.0.0.1: the allowlisted name is mapped there by the proxy's resolver.
    const fx = proxyJobFixture(FLEET, { resolve: fixedResolver({ "allowed.test": "127.0.0.1" }) });
    beforeEach(() => {
      site.requests.length = 0;
      site.toolCalls.length = 0;
      standin.requests.length = 0;
    });

    /**
     * One proxy-only job whose agent has the site's MCP server at `host`, running `turns`;
     * `docker`: more of the agent's docker block; `preflight`: the project's settings ask for
     * WebFetch's domain check.
     */
    async function runJob(host: string, turns: Turn[], opts: { docker?: string; preflight?: boolean } = {}) {
      const loaded = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\nmodel: claude-sonnet-4-5\npermission_mode: bypassPermissions\n` +
          `mcp_servers:\n  site: { type: http, url: "http://${host}:${site.port}/mcp" }\n` +
          // claude trusts the site's certificate as it would a company CA.
          "env: { NODE_EXTRA_CA_CERTS: /workspace/site-ca.pem }\n" +
          "setting_sources: [project]\n" +
          `docker:\n  enabled: true\n  memory: 1g\n${opts.docker ?? ""}`,
        {
          fleetYaml:
            `version: 1\nfleet: { name: ${FLEET} }\n` +
            `defaults:\n  docker: { image: "${imageId}", network: proxy-only, egress: { allow: ["allowed.test:${site.port}", "allowed.test:${site.tlsPort}"] } }\n` +
            "agents:\n  - path: ./agents/worker.yaml\n",
        },
      );
      writeFileSync(join(loaded.workspace, "site-ca.pem"), site.certificate);
      if (opts.preflight) {
        mkdirSync(join(loaded.workspace, ".claude"));
        writeFileSync(
          join(loaded.workspace, ".claude", "settings.json"),
          '{ "skipWebFetchPreflight": false }\n',
        );
      }
      if (process.getuid?.() === 0) chownTree(loaded.workspace);
      standin.setResponder(withPageSummaries(script(turns)));
      const env = { ...claudeEnv(standin, fx.tmp.dir), ANTHROPIC_API_KEY: KEY };
      const job = await new JobExecutor({
        state: fx.state,
        claudePath,
        env,
        containers: { manager: new ContainerManager(), fleet: FLEET, proxy: fx.proxy },
      }).execute({ agent: loaded.agent, prompt: "use the tools", triggerType: "manual" });
      return {
        job,
        workspace: loaded.workspace,
        results: standin.mainRequests.flatMap((r) => r.toolResults),
        egress: fx.state.jobs.get(job.id)!.egress ?? [],
        output: JSON.stringify(fx.state.readJobOutput(job.id)),
      };
    }

    const mcpAndFetch = (host: string, more: Turn[] = []) => [
      // claude defers MCP tools behind ToolSearch, as it does for a real model.
      toolUse("ToolSearch", { query: "select:mcp__site__echo" }),
      toolUse("mcp__site__echo", { word: "kumquat" }, { id: "toolu_echo" }),
      toolUse(
        "WebFetch",
        { url: `https://${host}:${site.tlsPort}/page`, prompt: "What word is on the page?" },
        { id: "toolu_fetch" },
      ),
      ...more,
      textReply("tools tried"),
    ];

    test("reaches an allowlisted MCP server, web page and git remote over HTTPS through the proxy and records them", async () => {
      // git over HTTPS: a CONNECT tunnel, TLS end to end, the site's CA given to git alone.
      const git = bash(
        `GIT_SSL_CAINFO=/workspace/site-ca.pem git ls-remote https://allowed.test:${site.tlsPort}/repo.git > /workspace/git-https.txt 2>&1; echo listed`,
      );
      const { job, results, egress, workspace } = await runJob(
        "allowed.test",
        mcpAndFetch("allowed.test", [git]),
      );
      expect(job).toMatchObject({ status: "completed", summary: "tools tried" });
      // The MCP server got the call and claude got its answer.
      expect(site.toolCalls).toEqual(["kumquat"]);
      const echoed = results.find((r) => r.tool_use_id === "toolu_echo");
      expect(JSON.stringify(echoed?.content)).toContain("the egress site echoes kumquat");
      expect(echoed!.is_error).toBeFalsy();
      // WebFetch read the page over HTTPS (a CONNECT tunnel) and passed it to the small model.
      expect(site.requests).toContain("GET /page");
      const fetched = results.find((r) => r.tool_use_id === "toolu_fetch");
      expect(JSON.stringify(fetched?.content)).toContain(`the page says ${PAGE_MARKER}`);
      expect(fetched!.is_error).toBeFalsy();
      expect(readFileSync(join(workspace, "git-https.txt"), "utf8")).toBe(`${GIT_REF}\trefs/heads/main\n`);

      const mcp = egress.find((e) => e.host === "allowed.test" && e.port === site.port);
      expect(mcp).toMatchObject({ allowed: true });
      expect(mcp!.bytesDown).toBeGreaterThan(0);
      const page = egress.find((e) => e.host === "allowed.test" && e.port === site.tlsPort);
      // WebFetch's page and git's two requests (info/refs, tried smart then dumb) on the TLS port.
      expect(page).toMatchObject({ allowed: true });
      expect(page!.connections).toBeGreaterThanOrEqual(2);
      expect(page!.bytesDown).toBeGreaterThan(0);
      // Nothing else was asked for: no preflight to api.anthropic.com, nothing refused.
      expect(egress.filter((e) => e.host !== "allowed.test")).toEqual([]);
    });

    it("refuses an MCP server and a web page on a host the allowlist does not name, and records both", async () => {
      const { job, results, egress, output } = await runJob("blocked.test", mcpAndFetch("blocked.test"));
      expect(job).toMatchObject({ status: "completed", summary: "tools tried" });
      expect(site.toolCalls).toEqual([]);
      expect(site.requests).toEqual([]);
      expect(egress.find((e) => e.host === "blocked.test" && e.port === site.port)).toMatchObject({
        allowed: false,
        bytesUp: 0,
        bytesDown: 0,
      });
      expect(egress.find((e) => e.host === "blocked.test" && e.port === site.tlsPort)).toMatchObject({
        allowed: false,
      });
      expect(egress.filter((e) => e.allowed)).toEqual([]);
      // claude tells the model the proxy blocked the page (herdctl's refusal carries the header it reads).
      const fetched = results.find((r) => r.tool_use_id === "toolu_fetch");
      expect(fetched?.is_error).toBe(true);
      expect(JSON.stringify(fetched!.content)).toContain("blocked by the network egress proxy");
      for (const port of [site.port, site.tlsPort])
        expect(output).toContain(`egress to blocked.test:${port} refused: not in docker.egress.allow`);
    });

    test("keeps WebFetch's domain check off for proxy-only jobs, even when the project's settings ask for it", async () => {
      // Left on, claude would first ask api.anthropic.com, which is not an egress destination, and
      // WebFetch would fail for every allowlisted host ("Unable to verify if domain … is safe").
      const { job, results, egress } = await runJob("allowed.test", mcpAndFetch("allowed.test"), {
        preflight: true,
      });
      expect(job).toMatchObject({ status: "completed", summary: "tools tried" });
      expect(site.requests).toContain("GET /page");
      const fetched = results.find((r) => r.tool_use_id === "toolu_fetch");
      expect(fetched!.is_error).toBeFalsy();
      expect(JSON.stringify(fetched?.content)).toContain(`the page says ${PAGE_MARKER}`);
      expect(egress.find((e) => e.host === "api.anthropic.com")).toBeUndefined();
    });

    it("records the bytes of a tunnel the job's end cuts", async () => {
      const held = "/workspace/held.bin";
      // A CONNECT tunnel left open in the background; the Bash call returns once the site's bytes
      // have arrived, and the job ends with the tunnel still open (the container is kept).
      const open =
        // The sleep keeps socat's input open: a half-closed request would let the site hang up.
        '(printf "GET /hold HTTP/1.0\\r\\nHost: allowed.test\\r\\n\\r\\n"; sleep 600) | ' +
        `socat -t600 - PROXY:127.0.0.1:allowed.test:${site.port},proxyport=3128,proxyauth=herdctl:$ANTHROPIC_API_KEY > ${held}`;
      const probe =
        `nohup sh -c '${open}' > /dev/null 2>&1 & ` +
        `for i in $(seq 1 300); do [ "$(stat -c %s ${held} 2>/dev/null || echo 0)" -ge ${HOLD_BYTES} ] && break; sleep 0.1; done; ` +
        `stat -c %s ${held}`;
      const { job, workspace, egress } = await runJob(
        "allowed.test",
        [bash(probe), textReply("tunnel held")],
        { docker: "  ephemeral: false\n" },
      );
      expect(job).toMatchObject({ status: "completed", summary: "tunnel held" });
      await site.holdSent;
      expect(statSync(join(workspace, "held.bin")).size).toBeGreaterThanOrEqual(HOLD_BYTES);
      const tunnel = egress.find((e) => e.host === "allowed.test" && e.port === site.port && e.allowed);
      // The MCP server's connections share the entry; the held stream alone is HOLD_BYTES.
      expect(tunnel!.bytesDown).toBeGreaterThanOrEqual(HOLD_BYTES);
      expect(site.requests).toContain("GET /hold");
    });
  },
);
