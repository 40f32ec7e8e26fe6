import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/fleet.js";

// Separate processes, as a daemon and a CLI command (or two commands) are: the race is between
// connections, so one process cannot show it.
const DB_MODULE = fileURLToPath(new URL("../../dist/state/db.js", import.meta.url));

function openInChild(path: string): Promise<{ code: number | null; stderr: string }> {
  const script = `import { openDatabase } from ${JSON.stringify(DB_MODULE)}; openDatabase(${JSON.stringify(path)}).close();`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("opening a new state database from several processes at once", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("applies each migration once and every process opens it", async () => {
    for (let round = 0; round < 6; round++) {
      const path = join(tmp.dir, `herdctl-${round}.db`);
      const results = await Promise.all(Array.from({ length: 8 }, () => openInChild(path)));
      expect(results.map((r) => r.stderr.trim())).toEqual(Array(8).fill(""));
      expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
    }
  });
});
