import { describe, test } from "vitest";

/**
 * Which runtime a feature test runs on.
 *
 * The rule: a test of a feature that sits above the RuntimeInterface (wakes, memory, chat core,
 * the executor's bookkeeping, container clean-up, proxy refusals) runs ONCE, on the cli and the
 * sdk runtime in turn from one test to the next, so a file still runs both runtimes across its
 * tests and each test's name says which one it used. Each real claude run costs 1.5–2 s of CPU on
 * the 2-core machine the suite must finish on in 15 minutes, and running these tests twice proved
 * nothing the runtime contract does not.
 *
 * A test keeps both runtimes where the runtimes' own wiring is what it proves: session resume and
 * fork, kept live chat processes, credential and egress proxy paths that differ by runtime, and
 * anything for which the runtime builds different arguments or environment (a prompt through
 * `docker exec`, permission modes, settings sources, plugins, MCP servers). Before dropping a
 * runtime from a test, check that packages/core/test/runner/runtime/runtime-contract.test.ts (or
 * another test) covers that runtime's part of it, and add a contract case if it does not. A file
 * with a single such test keeps `describe.each`: rotation would leave one runtime's block empty,
 * which vitest fails, and the file would prove nothing of the other runtime.
 */
export const RUNTIMES = ["cli", "sdk"] as const;

export type RuntimeName = (typeof RUNTIMES)[number];

/** The runtime of the index-th rotated test of a file: cli, sdk, cli, … */
export function rotateRuntime(index: number): RuntimeName {
  return RUNTIMES[index % RUNTIMES.length]!;
}

/** Registers a test on the runtime its turn in the rotation gives it, and nowhere else. */
export type RotatedTest = (name: string, fn: () => Promise<void> | void, timeout?: number) => void;

/**
 * `describe.each(RUNTIMES)` whose body gets, beside the runtime, an `it` that runs each test under
 * one runtime only, the next test under the other. Name that parameter `it` (so the tests read and
 * format as tests); a test that must run on both runtimes uses vitest's `test` instead. The body
 * runs once per runtime and counts its rotated tests the same way each time, so each test lands in
 * exactly one runtime's block. `title` takes `%s` for the runtime, as `describe.each` does.
 */
export function describeRuntimes(title: string, body: (runtime: RuntimeName, it: RotatedTest) => void): void {
  describe.each(RUNTIMES)(title, (runtime) => {
    let index = 0;
    body(runtime, (name, fn, timeout) => {
      if (rotateRuntime(index++) === runtime) test(name, fn, timeout);
    });
  });
}
