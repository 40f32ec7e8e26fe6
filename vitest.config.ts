import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "bench/test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests spawn real claude processes and containers; two cores cannot take more at once.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ["default"],
  },
});
