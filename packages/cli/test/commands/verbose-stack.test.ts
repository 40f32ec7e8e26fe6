import { afterAll, beforeAll, expect, it } from "vitest";
import { assertBuilt, herdctl, tempDir } from "../helpers/cli.js";

// The bundle turns source maps on only for -v runs (src/index.ts), after its quick answers: a
// stack trace must still name the TypeScript, so a bug report points at the source.
let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-verbose-stack-"));
});
afterAll(() => remove());

it("-v prints the error's stack trace with the TypeScript files and lines", async () => {
  // No herdctl.yaml in the folder or above it (a fresh temporary folder): a user-facing error.
  const verbose = await herdctl(["-v", "status"], { cwd: dir });
  expect(verbose.code).not.toBe(0);
  expect(verbose.stderr).toMatch(/^herdctl: no herdctl\.yaml found in /);
  expect(verbose.stderr).toMatch(/\n {4}at .*packages\/cli\/src\/context\.ts:\d+:\d+\)?\n/);
  const plain = await herdctl(["status"], { cwd: dir });
  expect(plain.stderr).not.toMatch(/\n {4}at /);
});
