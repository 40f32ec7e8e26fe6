import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LiveProcesses } from "../../src/chat/live-processes.js";
import { RuntimeFactory } from "../../src/runner/runtime/factory.js";
import type { RuntimeMessage } from "../../src/runner/runtime/interface.js";
import { isProcessAlive } from "../../src/state/index.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { writeFleet } from "../helpers/fleet.js";
import { runtimeFixture } from "../helpers/job-fixture.js";
import { until } from "../helpers/until.js";
import { memoryResponder } from "./memory-responder.js";

describe.each(["cli", "sdk"] as const)(
  "a chat's kept claude process, %s runtime (real claude, stand-in API)",
  (runtime) => {
    const fx = runtimeFixture({ responder: () => memoryResponder() });

    it("is reused while the chat is active, reaped when idle, and replaced (resuming the session) after it died", async () => {
      const { agent } = await writeFleet(fx.tmp.dir, `runtime: ${runtime}\n`);
      const claude = RuntimeFactory.create(agent, { stateDir: join(fx.tmp.dir, ".herdctl"), claudePath });
      let idleMs = 60_000;
      const live = new LiveProcesses({ idleMs: () => idleMs });
      const sessionId = randomUUID();
      const turn = async (prompt: string, first = false) => {
        let pid: number | undefined;
        const messages: RuntimeMessage[] = [];
        for await (const m of live.run("c-test", claude, {
          prompt,
          agent,
          ...(first ? { sessionId } : { resume: sessionId }),
          signal: new AbortController().signal,
          env: claudeEnv(fx.standin, fx.tmp.dir),
          onSpawn: (info) => {
            pid = info.pid;
          },
        }))
          messages.push(m);
        const result = messages.at(-1);
        return {
          pid: pid!,
          text: result?.type === "result" && result.subtype === "success" ? result.result : "",
        };
      };
      try {
        const one = await turn("remember oak", true);
        const two = await turn("what did I say?");
        expect([one.text, two.text]).toEqual(["noted oak", "you said oak"]);
        expect(two.pid).toBe(one.pid);

        // Killed between turns (we started it): the next turn resumes the session in a new process.
        process.kill(-one.pid, "SIGKILL");
        await until(() => !isProcessAlive(one.pid), "the killed claude to be gone");
        const three = await turn("what did I say?");
        expect(three.text).toBe("you said oak");
        expect(three.pid).not.toBe(one.pid);

        idleMs = 200;
        const four = await turn("remember elm");
        expect(four.pid).toBe(three.pid);
        await until(() => live.size === 0 && !isProcessAlive(four.pid), "the idle process to be reaped");
        const five = await turn("what did I say?");
        expect(five.text).toBe("you said elm");
        expect(five.pid).not.toBe(four.pid);
      } finally {
        await live.closeAll();
      }
    });
  },
);
