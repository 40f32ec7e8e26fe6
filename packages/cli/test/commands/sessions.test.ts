import type { SessionPointer } from "@herdctl/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerResumePlan, hostResumePlan, pickSession, shellQuote } from "../../src/commands/sessions.js";
import {
  assertBuilt,
  herdctl,
  json,
  type TriggeredJob,
  tempDir,
  triggerOffline,
  writeFleet,
} from "../helpers/cli.js";

const pointer = (agent: string, sessionId: string, docker = false): SessionPointer => ({
  agent,
  sessionId,
  workingDirectory: `/srv/${agent}`,
  runtime: "cli",
  docker,
  createdAt: "2025-01-01T00:00:00.000Z",
  lastUsedAt: "2025-01-01T00:00:00.000Z",
});
const A = pointer("alpha", "11111111-2222-3333-4444-555555555555");
const B = pointer("beta", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", true);

describe("resume plans", () => {
  it("runs claude --resume in the session's folder on the host", () => {
    expect(hostResumePlan("/usr/bin/claude", A)).toEqual({
      command: "/usr/bin/claude",
      args: ["--resume", A.sessionId],
      cwd: "/srv/alpha",
    });
  });

  it("runs docker exec -it in the container, passing credentials by name only", () => {
    const plan = dockerResumePlan("c0ffee", B, {
      ANTHROPIC_API_KEY: "sk-secret",
      CLAUDE_CODE_OAUTH_TOKEN: "",
    });
    expect(plan).toEqual({
      command: "docker",
      args: ["exec", "-it", "-e", "ANTHROPIC_API_KEY", "c0ffee", "claude", "--resume", B.sessionId],
      cwd: "/srv/beta",
    });
    expect(JSON.stringify(plan)).not.toContain("sk-secret");
  });

  it("picks by session id, by agent, or the only one; otherwise says what to pass", () => {
    expect(pickSession([A, B], B.sessionId.toUpperCase())).toBe(B);
    expect(pickSession([A, B], "alpha")).toBe(A);
    expect(pickSession([A], undefined)).toBe(A);
    expect(() => pickSession([A, B], undefined)).toThrow(
      "several agents have sessions; name one: herdctl sessions resume AGENT (one of: alpha, beta)",
    );
    expect(() => pickSession([A, B], "alpah")).toThrow(
      'no session for agent "alpah". Nearest: alpha, beta. Agents with sessions: alpha, beta',
    );
    expect(() => pickSession([], "alpha")).toThrow("there are no sessions yet");
  });

  it("quotes arguments for display", () => {
    expect(shellQuote("/a/b")).toBe("/a/b");
    expect(shellQuote("it's here")).toBe("'it'\\''s here'");
  });
});

describe("herdctl sessions", () => {
  let dir: string;
  let remove: () => Promise<void>;
  let job: TriggeredJob;

  beforeAll(async () => {
    assertBuilt();
    ({ dir, remove } = await tempDir());
    await writeFleet(dir);
    job = await triggerOffline(dir, "greeter");
  });
  afterAll(() => remove());

  it("lists session pointers as a table and as JSON", async () => {
    const r = await herdctl(["sessions"], { cwd: dir });
    expect(r.code).toBe(0);
    const [head, row] = r.stdout.trimEnd().split("\n");
    expect(head).toMatch(/^AGENT\s+SESSION\s+RUNTIME\s+DOCKER\s+WORKING DIRECTORY\s+LAST USED$/);
    expect(row).toMatch(
      new RegExp(`^greeter\\s+${job.sessionId}\\s+cli\\s+no\\s+\\S+/workspace\\s+(now|\\d+s ago)$`),
    );
    const doc = json<{ sessions: SessionPointer[] }>(
      await herdctl(["--json", "sessions", "-a", "greeter"], { cwd: dir }),
    );
    expect(doc.sessions).toHaveLength(1);
    expect(doc.sessions[0]).toMatchObject({
      agent: "greeter",
      sessionId: job.sessionId,
      runtime: "cli",
      docker: false,
    });
    expect(doc.sessions[0]!.workingDirectory.endsWith("/workspace")).toBe(true);
    const none = json<{ sessions: unknown[] }>(
      await herdctl(["--json", "sessions", "-a", "scribe"], { cwd: dir }),
    );
    expect(none.sessions).toEqual([]);
    const unknown = await herdctl(["sessions", "-a", "greter"], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('agent "greter" not found. Nearest: greeter');
  });

  it("resume --print / --json show the exact command it would run", async () => {
    const doc = json<{ command: string; args: string[]; cwd: string; session: SessionPointer }>(
      await herdctl(["--json", "sessions", "resume", "greeter"], { cwd: dir }),
    );
    expect(doc.command).toMatch(/claude(\.exe)?$/);
    expect(doc.args).toEqual(["--resume", job.sessionId]);
    expect(doc.cwd).toBe(doc.session.workingDirectory);
    const printed = await herdctl(["sessions", "resume", job.sessionId!, "--print"], { cwd: dir });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toBe(`cd ${doc.cwd} && ${doc.command} --resume ${job.sessionId}\n`);
    const missing = await herdctl(["sessions", "resume", "scribe"], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'herdctl: no session for agent "scribe". Nearest: greeter. Agents with sessions: greeter\n',
    );
  });
});
