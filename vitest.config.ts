import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  // Tests run against the sources; the CLI end-to-end tests run the built binary instead.
  resolve: {
    alias: {
      "@herdctl/standin": src("standin"),
      // Before "@herdctl/core", which would otherwise match it as a prefix.
      "@herdctl/core/essentials": src("core").replace(/index\.ts$/, "essentials.ts"),
      "@herdctl/core/internal": src("core").replace(/\/index\.ts$/, ""),
      "@herdctl/core": src("core"),
    },
  },
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "bench/test/**/*.test.ts",
      "test/faults/**/*.test.ts",
      "test/docs/**/*.test.ts",
    ],
    // Starts the runtime images' build at once, in the background (see the file).
    globalSetup: ["test/setup/warm-images.ts"],
    // Files share worker processes; per-file.ts gives each file fresh modules and environment.
    isolate: false,
    setupFiles: ["test/setup/per-file.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests spawn real claude processes and containers; two cores cannot take more at once.
    maxWorkers: 2,
    minWorkers: 1,
    // CI also writes a machine-readable summary; .ci/run prints its "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: process.env.CI ? { json: ".vitest-results.json" } : undefined,
  },
});
