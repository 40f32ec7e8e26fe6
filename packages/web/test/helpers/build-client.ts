import { fileURLToPath } from "node:url";
import { build } from "vite";

const webRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Builds the dashboard's client into dist/client as `npm run build` does. Vite takes React's
 * development build (jsxDEV, StrictMode's double effects, several times slower) whenever NODE_ENV
 * already says otherwise, and vitest and vite-node set it: so it is production for the build.
 */
export async function buildDashboardClient(): Promise<void> {
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: `${webRoot}vite.config.ts`, logLevel: "error", mode: "production" });
  } finally {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  }
}
