import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { buildDashboardClient } from "./build-client.js";
import { startWebFleet, type WebFleet, type WebFleetFiles } from "./web-fleet.js";

const webRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Headless Chromium for the dashboard's end-to-end tests. `npm run build` makes the client; a
 * bare `vitest run` builds it once here so a test stands alone. Never rebuilt while it exists:
 * other test files may be serving it at that moment.
 */
export async function launchDashboardBrowser(): Promise<Browser> {
  if (!existsSync(`${webRoot}dist/client/index.html`)) await buildDashboardClient();
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-background-networking"],
  });
}

/** A web fleet and a browser for one test file, started before its tests and closed after them. */
export function dashboardFixture(files: WebFleetFiles = {}): {
  readonly f: WebFleet;
  readonly browser: Browser;
} {
  const dash = {} as { f: WebFleet; browser: Browser };
  beforeAll(async () => {
    dash.f = await startWebFleet({}, files);
    dash.browser = await launchDashboardBrowser();
  });
  afterAll(async () => {
    await dash.browser?.close();
    await dash.f?.close();
  });
  return dash;
}
