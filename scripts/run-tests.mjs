/**
 * `npm test`'s vitest step: the two lanes of vitest.config.ts as two vitest processes at once.
 *
 *   node scripts/run-tests.mjs [vitest args…]     (args go to both, e.g. a file filter)
 *
 * Why two processes: the main lane is bound by CPU (real claude runs), the silences lane by waiting
 * (minute-long silent turns). In one process they share one worker count, and the silences lane had
 * to run in a single thread beside the workers (a third worker in that setup made tinypool fail the
 * run while closing its threads). Here each lane has its own pool of forked workers: two for the
 * main lane, one a core (one run with three, on a machine shared with other work, was slower, and
 * each worker's heap grew to ~4 GB), and two for the silences lane, so its waits overlap. Tried
 * in session 14: three silences workers taking ten more wait-bound files from the main lane (1.4
 * CPU-s to 53 s of wall each) made the whole run slower, the main lane 890 → 1,090 s: five workers
 * at once on two cores stretched every file (the same files' CPU +26%, wall +40%); three main
 * workers beside three silences workers were slower still.
 *
 * Under CI each lane writes its JSON report, merged here into .vitest-results.json (.ci/run prints
 * its "N passed, N failed" line). Exits non-zero if either lane failed.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const vitest = fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
const LANES = [
  { project: "main", workers: 2 },
  { project: "silences", workers: 2 },
];
const report = (project) => `.vitest-results.${project}.json`;

const extra = process.argv.slice(2);
const runs = LANES.map(
  ({ project, workers }) =>
    new Promise((done) => {
      rmSync(`${repo}/${report(project)}`, { force: true });
      const child = spawn(
        process.execPath,
        [
          vitest,
          "run",
          "--project",
          project,
          `--maxWorkers=${workers}`,
          // As many kept as started: tinypool ending a worker left idle above the minimum (a lane
          // whose last files outlast the others) rejected with "Terminating worker thread" and
          // ended the whole vitest process (vitest#8133, #8564).
          `--minWorkers=${workers}`,
          "--passWithNoTests",
          ...extra,
        ],
        {
          cwd: repo,
          stdio: "inherit",
          // The lane's name also labels each file's cost line (test/setup/file-cost.ts).
          env: { ...process.env, HERDCTL_VITEST_JSON: report(project), HERDCTL_TEST_LANE: project },
        },
      );
      child.on("close", (code, signal) => done(code ?? (signal ? 1 : 0)));
    }),
);
const codes = await Promise.all(runs);

if (process.env.CI) {
  const merged = { numPassedTests: 0, numFailedTests: 0, numTotalTests: 0, success: true, testResults: [] };
  for (const { project } of LANES) {
    const file = `${repo}/${report(project)}`;
    if (!existsSync(file)) {
      merged.success = false;
      continue;
    }
    const lane = JSON.parse(readFileSync(file, "utf8"));
    merged.numPassedTests += lane.numPassedTests;
    merged.numFailedTests += lane.numFailedTests;
    merged.numTotalTests += lane.numTotalTests;
    merged.success &&= lane.success;
    merged.testResults.push(...lane.testResults);
  }
  writeFileSync(`${repo}/.vitest-results.json`, `${JSON.stringify(merged)}\n`);
}
process.exit(codes.every((code) => code === 0) ? 0 : 1);
