/**
 * Runs every bench in its own process, one after another (they would skew each other on two
 * cores). `--quick` runs a reduced set in reduced mode (under 60 s) that only reports; the full set
 * exits 1 when any target is missed.
 *
 *   npm run bench          npm run bench:quick
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { QUICK } from "./lib/report.js";

const FULL = [
  "cli-startup",
  "job-overhead",
  "job-history-api",
  "usage-page",
  "scheduler-fleet",
  "concurrency",
  "streaming",
  "chat",
  "credential-proxy",
  "egress",
  "load",
  "job-history",
  "agent-add",
  "polling-day",
  "retention",
  "pg-queue",
  "pg-workers",
  "pg-job-end",
];
const QUICK_SET = ["cli-startup", "job-overhead", "job-history-api", "scheduler-fleet", "streaming"];
const VITE_NODE = fileURLToPath(new URL("../node_modules/vite-node/vite-node.mjs", import.meta.url));

const failed: string[] = [];
const t0 = performance.now();
for (const name of QUICK ? QUICK_SET : FULL) {
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [VITE_NODE, file, ...(QUICK ? ["--quick"] : [])], {
      stdio: "inherit",
    });
    child.on("close", resolve);
  });
  if (code !== 0) failed.push(`${name} (exit ${code})`);
}
console.log(
  `bench: ${QUICK ? "quick" : "full"} run in ${((performance.now() - t0) / 1000).toFixed(0)} s${failed.length ? `; missed or failed: ${failed.join(", ")}` : ""}`,
);
process.exit(failed.length > 0 ? 1 : 0);
