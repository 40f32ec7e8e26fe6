import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const WEIGHTS = new URL("./file-weights.json", import.meta.url);

/**
 * Starts the longest files first. A lane's workers each take the next file when they finish one,
 * so a long file started late leaves the other worker idle at the end of the run. vitest orders by
 * the durations it cached from the last run, which a clean clone (CI) does not have: there it
 * falls back to the larger file first, and file size says little about what a file costs (a short
 * file can pack a release and install it). file-weights.json holds each file's seconds in a
 * measured run, hooks and module loading included (`node scripts/test-costs.mjs --weights <log>`,
 * bench/README.md, "The test suite's cost"). A file it does not know yet counts as a median one;
 * ties keep vitest's order.
 */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const weights = readWeights();
    const known = Object.values(weights).sort((a, b) => a - b);
    const median = known.length > 0 ? (known[Math.floor(known.length / 2)] ?? 0) : 0;
    const root = this.ctx.config.root;
    const weight = (spec: TestSpecification) => weights[relative(root, spec.moduleId)] ?? median;
    // Array.prototype.sort is stable: equal weights keep the base order.
    return base.sort((a, b) => weight(b) - weight(a));
  }
}

function readWeights(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(WEIGHTS, "utf8")) as Record<string, number>;
  } catch (error) {
    // A missing or broken table changes only the order, never what runs: say so and go on.
    console.warn(
      `test/setup/file-weights.json could not be read (${(error as Error).message}); vitest's order`,
    );
    return {};
  }
}
