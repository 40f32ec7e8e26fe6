import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { StateManager } from "../../src/state/manager.js";

export interface FakeClock {
  now: () => Date;
  advance(ms: number): void;
  set(iso: string): void;
}

export function fakeClock(start = "2025-01-02T03:04:05.000Z"): FakeClock {
  let current = Date.parse(start);
  return {
    now: () => new Date(current),
    advance(ms) {
      current += ms;
    },
    set(iso) {
      current = Date.parse(iso);
    },
  };
}

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A fresh temp directory, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "herdctl-state-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An opened StateManager on a real SQLite file in a temp directory, closed after the test. */
export function openState(clock: FakeClock = fakeClock()): {
  state: StateManager;
  clock: FakeClock;
  dir: string;
} {
  const dir = join(tempDir(), ".herdctl");
  const state = new StateManager(dir, { clock: clock.now });
  state.open();
  cleanups.push(() => state.close());
  return { state, clock, dir };
}

/** The error `fn` throws; fails the test if it returns normally. */
export function caught(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected the call to throw, but it returned");
}
