/**
 * What the usage-page bench and its profiling tool share: a dashboard over a state filled with
 * finished jobs, and the way to the fleet page at rest before a click on the menu.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { FleetManager, StateManager } from "../../packages/core/src/internal.js";
import { startWebServer } from "../../packages/web/src/server/index.js";
import { scratch, writeFleetFiles } from "../../test/faults/helpers.js";
import { bulkInsertJobs } from "./bulk-jobs.js";

export interface UsageDashboard {
  readonly stateDir: string;
  /** When the first filled job was created, ms since the epoch (30 s apart, the last about now). */
  readonly start: number;
  /** How long the fill took, ms. */
  readonly insertMs: number;
  readonly web: Awaited<ReturnType<typeof startWebServer>>;
  /** Another web server on the same fleet and state, serving the client built in `clientDir`. */
  startWeb(clientDir: string): Promise<Awaited<ReturnType<typeof startWebServer>>>;
  close(): Promise<void>;
}

/** A fleet and its dashboard on 127.0.0.1 over `jobs` finished jobs of `agents` agents. */
export async function startUsageDashboard(
  prefix: string,
  jobs: number,
  agents: number,
): Promise<UsageDashboard> {
  const root = scratch(prefix);
  const stateDir = join(root.dir, ".herdctl");
  writeFleetFiles(root.dir, "benchusage", { worker: "runtime: cli\n" });
  const schema = new StateManager(stateDir);
  schema.open();
  schema.close();
  const start = Date.now() - jobs * 30_000;
  const insertMs = bulkInsertJobs(join(stateDir, "herdctl.db"), jobs, agents, start);
  const fleet = new FleetManager({ config: root.dir, stateDir, watchConfig: false, env: {} });
  await fleet.start();
  const web = await startWebServer(fleet, { host: "127.0.0.1", port: 0, stateDir, env: {} });
  const others: (typeof web)[] = [];
  return {
    stateDir,
    start,
    insertMs,
    web,
    async startWeb(clientDir) {
      const other = await startWebServer(fleet, { host: "127.0.0.1", port: 0, stateDir, env: {}, clientDir });
      others.push(other);
      return other;
    },
    async close() {
      for (const other of others) await other.close();
      await web.close();
      await fleet.stop({ timeoutMs: 1_000 });
      root.cleanup();
    },
  };
}

/**
 * The open app's fleet page, at rest: the user reads it a moment, long enough for the app's
 * idle-time preload of the usage chunk (a second after it is up) to have been fetched.
 */
export async function toRestingFleetPage(page: Page): Promise<void> {
  await page.locator("header nav a", { hasText: "Fleet" }).click();
  await page.getByTestId("agents-table").waitFor();
  await page.waitForFunction(() =>
    performance.getEntriesByType("resource").some((e) => e.name.includes("/assets/usage-")),
  );
  await page.evaluate("new Promise((r) => requestIdleCallback(() => r(null), { timeout: 2000 }))");
}
