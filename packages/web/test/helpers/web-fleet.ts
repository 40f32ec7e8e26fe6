import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FleetManager } from "@herdctl/core";
import { offlineResponder, type Standin, startStandin } from "@herdctl/standin";
import { claudeEnv } from "../../../core/test/helpers/claude-env.js";
import { startWebServer, type WebServer, type WebServerOptions } from "../../src/server/index.js";

export const HOOK_SECRET = "webhook-secret-for-tests-0123456789";

const AGENT = (name: string, files: WebFleetFiles = {}) => `name: ${name}
description: The ${name} test agent
working_directory: ${files.workingDirectory ?? "../workspace"}
${
  files.allowedTools
    ? `permission_mode: acceptEdits\nallowed_tools: ${files.allowedTools}`
    : "# Nothing is allowed without asking, so headless claude refuses edits (the job page shows them).\npermission_mode: default"
}
default_prompt: "Say hello from ${name}."
${files.memory ? "memory: { max_bytes: 512 }\n" : ""}${files.approvals ? `approvals: ${files.approvals}\n` : ""}instances: ${files.instances ?? "{ max_concurrent: 2 }"}
schedules:
  nightly: { type: cron, cron: "0 3 * * *", prompt: "Nightly check." }
  hook: { type: webhook, secret_env: HOOK_SECRET, prompt: "Handle the webhook." }
  unsigned: { type: webhook, prompt: "No secret configured." }
${files.github ? '  gh: { type: webhook, signature: github, secret_env: HOOK_SECRET, prompt: "A GitHub event." }\n' : ""}`;

export interface WebFleet {
  dir: string;
  stateDir: string;
  fleet: FleetManager;
  standin: Standin;
  web: WebServer;
  /** The dashboard token, as the server keeps it in .herdctl/web-token. */
  token: string;
  /** `Authorization: Bearer <token>`, for requests that stand in for a logged-in client. */
  bearer: { authorization: string };
  /** Starts another web server on the same fleet (for other binds). */
  startWeb(options?: Partial<WebServerOptions>): Promise<WebServer>;
  close(): Promise<void>;
}

export interface WebFleetFiles {
  /** Written to .env beside the fleet file. */
  dotEnv?: string;
  /** The agents' `instances:` mapping, in YAML flow style. */
  instances?: string;
  /** Gives both agents memory (max_bytes 512). */
  memory?: boolean;
  /** Adds a `gh` webhook schedule with `signature: github`. */
  github?: boolean;
  /** The agents' working_directory, relative to agents/; default ../workspace. */
  workingDirectory?: string;
  /** The agents' `approvals:` mapping, in YAML flow style. */
  approvals?: string;
  /** The agents' allowed_tools in YAML flow style, with permission_mode acceptEdits; default none allowed. */
  allowedTools?: string;
}

/** A real fleet of two agents (alpha, beta) run against the offline stand-in, with the web server on it. */
export async function startWebFleet(
  options: Partial<WebServerOptions> = {},
  files: WebFleetFiles = {},
): Promise<WebFleet> {
  const dir = mkdtempSync(join(tmpdir(), "herdctl-web-"));
  mkdirSync(join(dir, "agents"), { recursive: true });
  mkdirSync(join(dir, "workspace"), { recursive: true });
  writeFileSync(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: webtest }\nwebhooks: { secret_env: SHARED_HOOK_SECRET }\n" +
      "agents:\n  - path: ./agents/alpha.yaml\n  - path: ./agents/beta.yaml\n",
  );
  writeFileSync(join(dir, "agents", "alpha.yaml"), AGENT("alpha", files));
  writeFileSync(join(dir, "agents", "beta.yaml"), AGENT("beta", files));
  if (files.dotEnv !== undefined) writeFileSync(join(dir, ".env"), files.dotEnv);
  const standin = await startStandin({ responder: offlineResponder });
  const stateDir = join(dir, ".herdctl");
  const fleet = new FleetManager({ config: dir, stateDir, env: claudeEnv(standin, dir), watchConfig: false });
  await fleet.start();
  const servers: WebServer[] = [];
  const startWeb = async (extra: Partial<WebServerOptions> = {}) => {
    const web = await startWebServer(fleet, {
      host: "127.0.0.1",
      port: 0,
      stateDir,
      env: { HOOK_SECRET },
      ...options,
      ...extra,
    });
    servers.push(web);
    return web;
  };
  const web = await startWeb();
  const token = readFileSync(join(stateDir, "web-token"), "utf8").trim();
  return {
    dir,
    stateDir,
    fleet,
    standin,
    web,
    token,
    bearer: { authorization: `Bearer ${token}` },
    startWeb,
    close: async () => {
      for (const s of servers) await s.close();
      await fleet.stop({ timeoutMs: 5_000 });
      await standin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
