/**
 * Chat follow-ups: a message to a chat whose claude process is kept between turns, from
 * `sendChatMessage` to the first assistant message of the turn reaching `job:output`. Baseline, in
 * the same run and interleaved: plain `claude -p --resume <session> --output-format stream-json`
 * with the same stand-in, from spawn to its first assistant line on stdout. The first message of a
 * chat (which starts claude) is reported against plain `claude -p`. claude prints whole messages,
 * so the first "token" is the first assistant message. CLI and SDK runtimes.
 *
 *   npx vite-node bench/chat.ts [--quick]
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { FleetManager, type JobMessage } from "../packages/core/src/index.js";
import { claudeEnv, claudePath } from "../packages/core/test/helpers/claude-env.js";
import { startStandin, textReply } from "../packages/standin/src/index.js";
import { scratch, writeFleetFiles } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const RUNS = QUICK ? 3 : 7;

const root = scratch("herdctl-bench-chat-");
const standin = await startStandin({ responder: () => textReply("ok") });
const env = claudeEnv(standin, root.dir);
const workspace = join(root.dir, "workspace");
writeFleetFiles(root.dir, "benchchat", { cli: "runtime: cli\n", sdk: "runtime: sdk\n" });

/** ms from spawning plain claude to its first assistant line. */
async function plainClaude(args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = spawn(claudePath, ["-p", "--output-format", "stream-json", "--verbose", ...args], {
    cwd: workspace,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "ignore"],
  });
  child.stdin.end("hello");
  let first: number | undefined;
  for await (const line of createInterface({ input: child.stdout }))
    if (first === undefined && line.includes('"type":"assistant"')) first = performance.now() - t0;
  if (first === undefined) throw new Error(`claude ${args.join(" ")} wrote no assistant message`);
  return first;
}

/** ms from sending a chat message to its turn's first assistant message on job:output. */
async function chatTurn(fleet: FleetManager, chatId: string): Promise<number> {
  const t0 = performance.now();
  let first: number | undefined;
  const { job } = fleet.sendChatMessage(chatId, "hello", {
    onMessage: (m: JobMessage) => {
      if (first === undefined && m.type === "assistant") first = performance.now() - t0;
    },
  });
  const done = await fleet.wait(job.id);
  if (done.status !== "completed" || first === undefined)
    throw new Error(`chat turn ${job.id} ended ${done.status}: ${done.error}`);
  return first;
}

const fleet = new FleetManager({ config: root.dir, env, watchConfig: false });
await fleet.start();
try {
  const session = randomUUID();
  await plainClaude([`--session-id=${session}`]);
  for (const runtime of ["cli", "sdk"] as const) {
    const firsts: number[] = [];
    const firstBase: number[] = [];
    const follows: number[] = [];
    const followBase: number[] = [];
    // Warm-up pair, not counted.
    await plainClaude([`--resume=${session}`]);
    await chatTurn(fleet, fleet.createChat(runtime).id);
    for (let run = 0; run < RUNS; run++) {
      firstBase.push(await plainClaude([]));
      const chat = fleet.createChat(runtime);
      firsts.push(await chatTurn(fleet, chat.id));
      followBase.push(await plainClaude([`--resume=${session}`]));
      follows.push(await chatTurn(fleet, chat.id));
      await fleet.deleteChat(chat.id);
    }
    const f = median(follows);
    const fb = median(followBase);
    figure(
      `chat follow-up → first message, ${runtime} runtime (kept process)`,
      `claude -p --resume ${fmt(fb)}`,
      fmt(f),
      f / fb,
      "≤ 1.0×",
      f <= fb,
    );
    const s = median(firsts);
    const sb = median(firstBase);
    figure(
      `chat first message → first message, ${runtime} runtime`,
      `claude -p ${fmt(sb)}`,
      fmt(s),
      s / sb,
      "reported",
      true,
    );
  }
} finally {
  await fleet.stop({ timeoutMs: 5_000 });
  await standin.close();
  root.cleanup();
}
finish();
