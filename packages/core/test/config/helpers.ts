import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach } from "vitest";
import { ConfigError, formatIssue, loadFleet } from "../../src/config/index.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (path → content) into a fresh temp folder and returns the folder. */
export function writeFleet(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "herdctl-config-"));
  made.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Loads a fleet that must fail and returns its issues as `file:line:col path: message` lines. */
export async function problems(dir: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const error = await loadFleet(dir, { env }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error.issues.map((issue) => formatIssue({ ...issue, hint: undefined }));
}
