import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

const TESTS = [
  "packages/*/test/**/*.test.ts",
  "bench/test/**/*.test.ts",
  "test/faults/**/*.test.ts",
  "test/docs/**/*.test.ts",
];

/**
 * Files that spend most of their time waiting: out a silent model turn (60 s silences, a 30 s hung
 * turn until its timeout) or a frozen daemon (20 s), using little CPU meanwhile. They run in a
 * lane of their own (npm test starts it as a second vitest process, scripts/run-tests.mjs), so
 * their waits overlap the rest of the suite and one another instead of holding a worker idle. The
 * main lane is bound by CPU (each real claude run costs ~1.5–2 s of it), so a file that computes
 * more than it waits belongs there. Measure before moving one: user+sys of
 * `/usr/bin/time npx vitest run <file>` against its wall time in CI.
 */
const SILENCES = [
  "test/faults/silent-model.test.ts",
  "packages/core/test/proxy/credential-proxy.test.ts",
  "packages/core/test/fleet-manager/retry.test.ts",
  "test/faults/daemon-shutdown.test.ts",
  // Two minute-long silent chat turns; alone it was the last file of a CI run by 90 s.
  "packages/core/test/chat/chat-waiting.test.ts",
  // A minute-long silent chat turn through the daemon, split from chat.test.ts to wait here.
  "packages/cli/test/commands/chat-silence.test.ts",
  // A minute-long silent Discord turn (the fleet runs in-process; no control server).
  "packages/core/test/chat/discord/discord-silence.test.ts",
  // Waits out a 30 s usage-limit reset; about 17 s of CPU in its 40 s.
  "packages/core/test/usage-limits/usage-limit-e2e.test.ts",
  // A minute-long silent Slack turn, split from slack-connector.test.ts to wait here.
  "packages/core/test/chat/slack/slack-silence.test.ts",
  // A 70-second wait for an approval, per runtime.
  "packages/core/test/approvals/approval-wait.test.ts",
  // A warm claude's trigger through the daemon across a minute-long silent model turn.
  "packages/cli/test/commands/warm-silence.test.ts",
  // A minute-long silent turn in a warm Docker container.
  "packages/core/test/runner/runtime/warm-containers-silence.test.ts",
  // logs -f of a job on another daemon (PostgreSQL) across a minute-long silent turn.
  "packages/cli/test/postgres-logs-follow.test.ts",
  // A real PostgreSQL restart and a 12 s outage under a running fleet: ~25 s of CPU in its ~70 s.
  "packages/cli/test/postgres-restart.test.ts",
  // Waits out leases and a leader's takeover on PostgreSQL: ~3 CPU-s in 45 s.
  "packages/cli/test/postgres-leader.test.ts",
  // Two daemons, two kill -9s, a killed in-process trigger and chat, leases waited out, hanging
  // model turns: ~55 s, mostly waiting.
  "packages/cli/test/postgres-daemon-crash.test.ts",
  // kill -9 and SIGSTOP of daemons with hanging model turns, a killed daemon's job resumed.
  "packages/cli/test/postgres-member-liveness.test.ts",
  // Waits out the database's absence while a job runs: ~5 CPU-s in 40 s.
  "packages/cli/test/postgres-outage.test.ts",
  // Four workers' minute-long jobs cancelled, interrupted and resumed after a 10 s lease: ~28
  // CPU-s in 115 s, the main lane's longest file.
  "packages/cli/test/postgres-workers.test.ts",
  // Four stand-in replies held back 1.5 s each, watched on a tmux screen: ~2 CPU-s in 13 s.
  "packages/cli/test/commands/tty.test.ts",
  // 1,000 fires of 40 one-second schedules across two kill -9 handovers: its pace is the clock's
  // and the lease's; ~29 CPU-s in 130 s under load (plus the PostgreSQL server's, not counted).
  "packages/cli/test/postgres-fires.test.ts",
  // A worker killed mid-job and its job resumed on another after the 10 s lease: ~11 CPU-s in 40 s.
  "packages/cli/test/postgres-sessions-kill.test.ts",
  // Waits on the Slack client's own reconnect and Retry-After delays: 0.6 CPU-s in 13 s.
  "packages/core/test/chat/slack/slack-standin.test.ts",
  // Job records on both backends, PostgreSQL's round trips: 2.5 CPU-s in 13 s.
  "packages/core/test/state/jobs.test.ts",
  // The deployment recipe's scheduler and two workers started and stopped by SIGTERM: mostly waiting.
  "packages/cli/test/deploy-recipe.test.ts",
];

export default defineConfig({
  // Tests run against the sources; the CLI end-to-end tests run the built binary instead.
  resolve: {
    // In order: the first match wins, so the exact and longer subpaths come before "@herdctl/core".
    alias: [
      { find: "@herdctl/standin", replacement: src("standin") },
      { find: "@herdctl/core/essentials", replacement: src("core").replace(/index\.ts$/, "essentials.ts") },
      { find: /^@herdctl\/core\/internal$/, replacement: src("core").replace(/index\.ts$/, "internal.ts") },
      { find: "@herdctl/core/internal", replacement: src("core").replace(/\/index\.ts$/, "") },
      { find: "@herdctl/core", replacement: src("core") },
    ],
  },
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Files share worker processes; per-file.ts gives each file fresh modules and environment.
    isolate: false,
    setupFiles: ["test/setup/per-file.ts"],
    // Tests spawn real claude processes and containers; two cores cannot take more at once.
    // npm test runs each lane in a process of its own, with its own count (scripts/run-tests.mjs).
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: TESTS,
          exclude: [...configDefaults.exclude, ...SILENCES],
          // Starts the runtime images' build at once, in the background (see the file).
          globalSetup: ["test/setup/warm-images.ts"],
        },
      },
      { extends: true, test: { name: "silences", include: SILENCES } },
    ],
    // CI also writes a machine-readable summary; .ci/run prints its "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: process.env.CI
      ? { json: process.env.HERDCTL_VITEST_JSON ?? ".vitest-results.json" }
      : undefined,
  },
});
