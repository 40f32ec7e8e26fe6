import { execFileSync } from "node:child_process";
import {
  existsSync,
  lutimesSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withBuildLock } from "../../packages/core/src/docker/build-lock.js";

// The image build lock (~/.cache/herdctl/build.lock) can be written by anything running as the
// user, a host agent included (docs/security.md "The image build lock"). What such a writer can
// put there is only ever waited on, for at most the age limit: never followed, never read whole,
// never executed.

const scratch = mkdtempSync(join(tmpdir(), "herdctl-build-lock-tamper-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const old = (Date.now() - 21 * 60_000) / 1000;

/** A build under `lock` whose wait is announced on `waiting`. */
function build(lock: string) {
  const said: string[] = [];
  let announce = () => {};
  const waiting = new Promise<void>((resolve) => (announce = resolve));
  const done = withBuildLock(
    lock,
    {
      staleMs: 60_000,
      onWait: (line) => {
        said.push(line);
        announce();
      },
      onTakeOver: (line) => said.push(line),
    },
    async () => "built",
  );
  return { said, waiting, done };
}

describe("a tampered image build lock (hostile writer, real files)", () => {
  it("a lock that is a symlink to a FIFO is neither followed nor read (a read would block for ever): waited on, then taken over by age; the FIFO stays", async () => {
    const fifo = join(scratch, "fifo");
    execFileSync("mkfifo", [fifo]);
    const lock = join(scratch, "fifo.lock");
    symlinkSync(fifo, lock);
    const b = build(lock);
    await b.waiting;
    expect(b.said[0]).toContain("an unnamed holder");
    lutimesSync(lock, old, old);
    await expect(b.done).resolves.toBe("built");
    expect(b.said.at(-1)).toMatch(/21 minutes old: taking over/);
    expect(existsSync(fifo)).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it("a symlink to a file naming a live holder is not followed: no holder is taken from it", async () => {
    const target = join(scratch, "owner.json");
    writeFileSync(target, JSON.stringify({ host: hostname(), pid: 1 }));
    const lock = join(scratch, "link.lock");
    symlinkSync(target, lock);
    const b = build(lock);
    await b.waiting;
    expect(b.said[0]).toContain("an unnamed holder");
    lutimesSync(lock, old, old);
    await expect(b.done).resolves.toBe("built");
    expect(existsSync(target)).toBe(true);
  });

  it.each([
    ["text that is not JSON", "not json at all"],
    ["an owner with a bad pid", JSON.stringify({ host: "x", pid: "1; rm -rf ~" })],
    ["8 MB of owner-looking text", `{"host":"${"h".repeat(8 * 1024 * 1024)}","pid":1}`],
  ])("%s names no holder: waited on, then taken over by age", async (_, content) => {
    const lock = join(scratch, `content-${content.length}.lock`);
    writeFileSync(lock, content);
    const b = build(lock);
    await b.waiting;
    expect(b.said[0]).toContain("an unnamed holder");
    // Only the file's first bytes are read: nothing of a huge one reaches a log line.
    expect(b.said[0]!.length).toBeLessThan(1000);
    utimesSync(lock, old, old);
    await expect(b.done).resolves.toBe("built");
    expect(existsSync(lock)).toBe(false);
  });
});
