import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, scratch, until, writeFleetFiles } from "./helpers.js";

/**
 * A job with 50 MB of output, read by several clients at once through the daemon's API and by
 * the CLI: memory must stay bounded by the page size, not grow with the output.
 */
const root = scratch("herdctl-faults-output-");
const LINES = 5_000;
const TEXT_BYTES = 10_000; // 5,000 lines of ~10 KB: 50 MB
const MB = 1024 * 1024;
let jobId: string;
let daemon: ChildProcess | undefined;

function textOf(i: number): string {
  return `line ${i} ${"abcdefghij".repeat(TEXT_BYTES / 10)}`;
}

beforeAll(() => {
  writeFleetFiles(root.dir, "bigoutput", { worker: "runtime: cli\n" });
  const state = new StateManager(join(root.dir, ".herdctl"));
  state.open();
  try {
    const job = state.jobs.create({ agent: "worker", triggerType: "manual", prompt: "p", runtime: "cli" });
    state.jobs.start(job.id);
    for (let i = 0; i < LINES; i++) {
      state.appendJobOutput(job.id, {
        type: "assistant",
        message: { role: "assistant", content: [{ type: "text", text: textOf(i) }] },
      });
    }
    state.jobs.finish(job.id, { status: "completed", exitReason: "success" });
    jobId = job.id;
  } finally {
    state.close();
  }
});
afterAll(() => {
  if (daemon?.exitCode === null) daemon.kill("SIGKILL");
  root.cleanup();
});

/** Peak resident memory so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

function get(socketPath: string, path: string): Promise<{ body: string; next: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`${path}: HTTP ${res.statusCode}: ${body}`));
        else resolve({ body, next: res.headers["x-next-offset"] as string | undefined });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Every page of the job's output, checking each line is the next one, in order. */
async function readAllPages(socketPath: string): Promise<{ lines: number; pages: number }> {
  let offset: string | undefined = "0";
  let lines = 0;
  let pages = 0;
  while (offset !== undefined) {
    const page = await get(socketPath, `/api/jobs/${jobId}/output?offset=${offset}`);
    pages++;
    for (const raw of page.body.split("\n")) {
      if (raw === "") continue;
      const l = JSON.parse(raw) as { line: number; message: { message: { content: { text: string }[] } } };
      expect(l.line).toBe(lines);
      expect(l.message.message.content[0]!.text.startsWith(`line ${lines} `)).toBe(true);
      lines++;
    }
    offset = page.next;
  }
  return { lines, pages };
}

describe("reading a 50 MB job output", () => {
  it("through the daemon's API: pages are exact and four readers at once keep memory bounded", async () => {
    daemon = spawn(process.execPath, [CLI, "start", "-c", root.dir, "--offline", "--no-warm"], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: "ignore",
    });
    const socketPath = join(root.dir, ".herdctl", "herdctl.sock");
    await until(() => (existsSync(socketPath) ? true : undefined));
    // Warm up the route, so the baseline includes the code it loads.
    await get(socketPath, `/api/jobs/${jobId}/output?offset=0&limit=1`);
    const before = peakRss(daemon.pid!);

    const results = await Promise.all([1, 2, 3, 4].map(() => readAllPages(socketPath)));
    const growth = peakRss(daemon.pid!) - before;

    // Pages of at most 2 MB: 110-135 MB measured for four readers, mostly garbage not yet
    // collected; whole-output responses took about 600 MB.
    expect(growth).toBeLessThan(300 * MB);
    for (const r of results) {
      expect(r.lines).toBe(LINES);
      expect(r.pages).toBeGreaterThan(10);
    }
  });

  it("with job --logs and logs --job in a process whose heap is smaller than the output", async () => {
    for (const args of [
      ["job", jobId, "--logs"],
      ["logs", "--job", jobId],
    ]) {
      const child = spawn(process.execPath, ["--max-old-space-size=48", CLI, "-c", root.dir, ...args], {
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let bytes = 0;
      let tail = "";
      let stderr = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d: string) => {
        bytes += d.length;
        tail = (tail + d).slice(-2 * TEXT_BYTES);
      });
      child.stderr.on("data", (d) => (stderr += d));
      const code = await new Promise((resolve) => child.on("close", resolve));
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(bytes).toBeGreaterThan(LINES * TEXT_BYTES);
      expect(tail).toContain(textOf(LINES - 1));
    }
  });
});
