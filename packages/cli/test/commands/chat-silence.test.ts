import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Standin, startStandin } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatResponder, modelEnv, piped, turnLines } from "../helpers/chat.js";
import { assertBuilt, BIN, cleanEnv, tempDir, until, writeFleet } from "../helpers/cli.js";
import { stopDaemon } from "../helpers/daemon.js";

/**
 * A chat turn through the daemon whose reply the stand-in holds back for a minute. A file of its
 * own, so it waits in the silences lane (vitest.config.ts) instead of holding a worker idle; the
 * rest of `herdctl chat` is in chat.test.ts.
 */
const SILENCE_MS = 60_000;

let standin: Standin;
let served: { dir: string; remove: () => Promise<void> };
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  standin = await startStandin({ responder: chatResponder });
  served = await tempDir("herdctl-chatd-");
  await writeFleet(served.dir);
  daemon = spawn(process.execPath, [BIN, "start"], {
    cwd: served.dir,
    env: cleanEnv(modelEnv(standin, served.dir)),
    stdio: "ignore",
  });
  await until(() => existsSync(join(served.dir, ".herdctl", "herdctl.sock")), "the daemon's control socket");
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await standin.close();
  await served.remove();
});

describe("herdctl chat through a daemon (Anthropic stand-in)", () => {
  it(
    "a turn silent for 60 s still completes: the socket keeps the chat waiting",
    async () => {
      const r = await piped(
        standin,
        served.dir,
        ["--json", "chat", "greeter"],
        `remember kestrel\ntake your time ${SILENCE_MS}, then: what did I say?\n`,
      );
      expect(r.code, r.stderr).toBe(0);
      const [, silent] = turnLines(r);
      expect(silent).toMatchObject({ status: "completed", reply: "you said kestrel" });
      expect(silent!.durationMs).toBeGreaterThanOrEqual(SILENCE_MS);
      expect(r.stderr).not.toContain("did not answer");
      expect(r.stderr).not.toContain("lost the daemon");
    },
    SILENCE_MS + 120_000,
  );
});
