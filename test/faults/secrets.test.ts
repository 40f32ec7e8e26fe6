import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { FleetManager } from "@herdctl/core";
import { offlineResponder, type Standin, startStandin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { startWebServer, type WebServer } from "../../packages/web/src/server/index.js";
import { scratch, writeFleetFiles } from "./helpers.js";

/**
 * A full run with a recognisable fake key and OAuth token: host and Docker jobs that print their
 * environment (so the secrets reach claude's own output), failing and succeeding hooks that print
 * theirs, and the web API. Afterwards no file under the state directory, no log line and no API
 * response may contain either secret.
 */
const KEY = "sk-ant-FAKE-api03-Zq7Xw9Vb2Nm4Lk6Jh8Gf0Ds1Ap3Oi5Uy7Tr9Ee";
const TOKEN = "sk-ant-oat01-FAKE-Oauth8Tok3nYy6Hh4Gg2Ff0Dd9Ss7Aa5Qq3Ww1";
const FLEET = "faultssecrets";
const SECRETS = [KEY, TOKEN];

let standin: Standin;
let fleet: FleetManager;
let web: WebServer;
let bearer: { authorization: string };
let root: { dir: string; cleanup: () => void };
const logs: string[] = [];

const HOOKS = `hooks:
  after_run:
    - { type: shell, command: "env; echo key=$ANTHROPIC_API_KEY token=$CLAUDE_CODE_OAUTH_TOKEN; exit 3" }
`;

beforeAll(async () => {
  await ensureRuntimeImage();
  root = scratch("herdctl-faults-secrets-");
  writeFleetFiles(
    root.dir,
    FLEET,
    {
      // Allowed Bash, so its agent-file hook runs on the host (docs/security.md).
      host: `runtime: cli\nallowed_tools: [Bash]\n${HOOKS}`,
      sdk: "runtime: sdk\n",
      boxed: `runtime: cli\ndocker: { enabled: true }\n${HOOKS}`,
      quiet: `runtime: cli\ndocker: { enabled: true }\n${HOOKS}`,
    },
    "defaults:\n  docker: { network: host }\n",
  );
  standin = await startStandin({ responder: offlineResponder });
  const env = { ...claudeEnv(standin, root.dir), ANTHROPIC_API_KEY: KEY, CLAUDE_CODE_OAUTH_TOKEN: TOKEN };
  fleet = new FleetManager({ config: root.dir, env, watchConfig: false, log: (l) => logs.push(l) });
  for (const name of ["job:started", "job:output", "job:completed", "job:failed"] as const)
    fleet.events.on(name, (payload: unknown) => logs.push(JSON.stringify(payload)));
  await fleet.start();
  web = await startWebServer(fleet, {
    host: "127.0.0.1",
    port: 0,
    stateDir: join(root.dir, ".herdctl"),
    env: {},
    log: (l) => logs.push(l),
  });
  bearer = {
    authorization: `Bearer ${readFileSync(join(root.dir, ".herdctl", "web-token"), "utf8").trim()}`,
  };
}, IMAGE_TIMEOUT_MS);
afterAll(async () => {
  await web?.close();
  await fleet?.stop({ timeoutMs: 5_000 });
  await standin?.close();
  await removeFleetContainers(FLEET);
  root?.cleanup();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return [];
    return st.isDirectory() ? filesUnder(path) : st.isFile() ? [path] : [];
  });
}

const leaks = (where: string, text: string) =>
  SECRETS.filter((s) => text.includes(s) || text.includes(s.slice(0, 24))).map(
    (s) => `${where} holds ${s.slice(0, 16)}…`,
  );

describe("secrets never leak (fake key and OAuth token)", () => {
  it("keeps them out of the state directory, the logs and every API response", async () => {
    const origin = web.url;
    const prompt = `print the environment\n@standin bash env; echo "$ANTHROPIC_API_KEY" "$CLAUDE_CODE_OAUTH_TOKEN"\n@standin text done ${KEY}`;
    const ids: string[] = [];
    for (const agent of ["host", "sdk", "boxed", "quiet"]) {
      const res = await fetch(`${origin}/api/agents/${agent}/trigger`, {
        method: "POST",
        headers: { origin, "content-type": "application/json", ...bearer },
        body: JSON.stringify({ prompt: agent === "quiet" ? "say hello\n@standin bash ls" : prompt }),
      });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { job: { id: string } }).job.id);
    }
    const jobs = await Promise.all(ids.map((id) => fleet.wait(id)));
    expect(jobs.map((j) => j.status)).toEqual(["completed", "completed", "completed", "completed"]);
    // The runs really saw the secrets: claude's Bash output went through the redactor.
    const hostOutput = JSON.stringify(fleet.state.readJobOutput(ids[0]!));
    expect(hostOutput).toContain("[redacted]");
    // The hooks ran and failed, so their output was recorded as hook errors.
    for (const i of [0, 2]) {
      const hookErrors = fleet.state.jobs.require(ids[i]!).hookErrors ?? [];
      expect(hookErrors.map((e) => e.message)).toEqual([expect.stringContaining("exited with code 3")]);
    }

    const found: string[] = [];
    const stateDir = join(root.dir, ".herdctl");
    // claude's own transcript of a container session (its ~/.claude, kept under the state
    // directory so `resume` works) records verbatim what the agent printed and what the user
    // typed; herdctl cannot rewrite it without corrupting the session. Only the agent that was
    // told to print the secrets is exempt, and only its transcripts: the quiet container agent's
    // files, claude's config files included, must be clean.
    const transcript = join(stateDir, "docker-sessions", "boxed", "projects");
    const files = filesUnder(stateDir);
    expect(files.some((f) => f.includes(join("docker-sessions", "quiet")))).toBe(true);
    for (const path of files.filter((f) => !f.startsWith(transcript)))
      found.push(...leaks(path, readFileSync(path).toString("latin1")));
    found.push(...leaks("log", logs.join("\n")));
    const paths = [
      "/api/health",
      "/api/fleet",
      "/api/agents",
      "/api/schedules",
      "/api/jobs",
      ...["host", "sdk", "boxed", "quiet"].map((a) => `/api/agents/${a}`),
      ...ids.flatMap((id) => [`/api/jobs/${id}`, `/api/jobs/${id}/output`]),
    ];
    for (const path of paths) {
      const res = await fetch(origin + path, { headers: bearer });
      expect(res.status, path).toBe(200);
      found.push(...leaks(path, await res.text()));
    }
    expect(found).toEqual([]);
  });
});
