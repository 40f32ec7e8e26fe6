import { userInfo } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, expect, vi } from "vitest";
import { measureFile } from "./file-cost.js";
import { clearStalePyenvLock } from "./pyenv-lock.js";
import { testHome } from "./test-home.js";

/**
 * Test files share worker processes (`isolate: false` in vitest.config.ts): starting Node, vitest
 * and the dependencies again for each of ~170 files cost more than a second of CPU per file on
 * this 2-core machine. A file still starts from what it would see in a process of its own:
 * - the project's modules are evaluated afresh for it, so module state (the shared credential
 *   proxy, caches) never carries over from the file before;
 * - when it ends, what it registered to run at process exit (the proxy's socket cleanup, the
 *   Agent SDK's child-process cleanup) runs, as its own process's exit would have, and is dropped
 *   instead of piling up on the shared process;
 * - the environment variables it changed are put back.
 * This runs before each test file (vitest re-runs setup files per file); its afterAll runs last.
 * With HERDCTL_TEST_COST_LOG set, it also logs what the file cost, hooks and module loading
 * included (test/setup/file-cost.ts).
 */
const costLog = process.env.HERDCTL_TEST_COST_LOG;
const measured = costLog ? measureFile(costLog) : undefined;
vi.resetModules();
clearStalePyenvLock();
// claude's Bash tool runs each command in a login shell of $SHELL; this one skips the login
// profile and ~/.bashrc (see the script), so the tests neither pay for nor depend on the dotfiles
// of whoever runs them. The CLI, daemons and claude all inherit it; containers never get SHELL.
process.env.SHELL = fileURLToPath(new URL("./shell/bash", import.meta.url));
// claude still sources ~/.bashrc itself for its shell snapshot: the tests' home has none (see
// test-home.ts). The home it stands for is kept, so later files link to it, not to the test home.
process.env.HERDCTL_TEST_REAL_HOME ??= process.env.HOME ?? userInfo().homedir;
process.env.HOME = testHome(process.env.HERDCTL_TEST_REAL_HOME);

const env = { ...process.env };
const exitListeners = new Set(process.listeners("exit"));

afterAll(() => {
  for (const listener of process.listeners("exit")) {
    if (exitListeners.has(listener)) continue;
    process.removeListener("exit", listener);
    listener(0);
  }
  for (const name of Object.keys(process.env)) if (!(name in env)) delete process.env[name];
  // Assigning TZ back also resets Node's cached time zone.
  Object.assign(process.env, env);
  measured?.(expect.getState().testPath);
});
