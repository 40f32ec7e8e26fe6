import { afterAll, vi } from "vitest";

/**
 * Test files share worker processes (`isolate: false` in vitest.config.ts): starting Node, vitest
 * and the dependencies again for each of ~170 files cost more than a second of CPU per file on
 * this 2-core machine. A file still starts from what it would see in a process of its own:
 * - the project's modules are evaluated afresh for it, so module state (the shared credential
 *   proxy, caches) never carries over from the file before;
 * - the environment variables it changed are put back when it ends.
 * This runs before each test file (vitest re-runs setup files per file).
 */
vi.resetModules();

const env = { ...process.env };

afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  // Assigning TZ back also resets Node's cached time zone.
  Object.assign(process.env, env);
});
