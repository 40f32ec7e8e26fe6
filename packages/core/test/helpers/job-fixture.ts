import { join } from "node:path";
import { type Responder, type Standin, startStandin } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { FakeClock } from "../../src/scheduler/index.js";
import { StateManager } from "../../src/state/index.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../docker/runtime-image-fixture.js";
import { tempDir } from "./fleet.js";

type TempDir = ReturnType<typeof tempDir>;

/** What a runtime test uses: one stand-in for the describe block, a fresh temp dir per test. */
export interface RuntimeFixture {
  readonly standin: Standin;
  readonly tmp: TempDir;
}

/** What a job test uses: a runtime fixture plus a StateManager opened in the temp dir per test. */
export interface JobFixture extends RuntimeFixture {
  readonly state: StateManager;
}

export interface FixtureOptions {
  /** Forget the requests of earlier tests, for tests that count or search what claude sent. */
  clearRequests?: boolean;
}

/**
 * Registers the hooks of a runtime test in the calling describe block. `responder` is called per
 * test because a script keeps its place: each test needs a fresh one.
 */
export function runtimeFixture(opts: FixtureOptions & { responder?: () => Responder } = {}): RuntimeFixture {
  const fx = {} as { standin: Standin; tmp: TempDir };
  beforeAll(async () => {
    fx.standin = await startStandin();
  });
  afterAll(() => fx.standin.close());
  beforeEach(() => {
    fx.tmp = tempDir();
    if (opts.clearRequests) fx.standin.requests.length = 0;
    if (opts.responder) fx.standin.setResponder(opts.responder());
  });
  afterEach(() => fx.tmp.cleanup());
  return fx;
}

/** Registers the hooks of a test that runs jobs on the host through JobExecutor. */
export function hostJobFixture(opts: FixtureOptions = {}): JobFixture {
  const fx = {} as { standin: Standin; tmp: TempDir; state: StateManager };
  beforeAll(async () => {
    fx.standin = await startStandin();
  });
  afterAll(() => fx.standin.close());
  beforeEach(() => {
    openState(fx);
    if (opts.clearRequests) fx.standin.requests.length = 0;
  });
  afterEach(() => {
    fx.state.close();
    fx.tmp.cleanup();
  });
  return fx;
}

/**
 * Registers the hooks of a test that runs Docker jobs for `fleetName`: the image is made sure of
 * before the stand-in starts, and the fleet's containers are removed after every test and at the end.
 */
export function dockerJobFixture(
  fleetName: string,
  opts: FixtureOptions & { image?: () => Promise<unknown> } = {},
): JobFixture {
  const fx = {} as { standin: Standin; tmp: TempDir; state: StateManager };
  const image = opts.image ?? ensureRuntimeImage;
  beforeAll(async () => {
    await image();
    fx.standin = await startStandin();
  }, IMAGE_TIMEOUT_MS);
  afterAll(async () => {
    await removeFleetContainers(fleetName);
    await fx.standin?.close();
  });
  beforeEach(() => {
    openState(fx);
    if (opts.clearRequests) fx.standin.requests.length = 0;
  });
  afterEach(async () => {
    fx.state.close();
    await removeFleetContainers(fleetName);
    fx.tmp.cleanup();
  });
  return fx;
}

function openState(fx: { tmp: TempDir; state: StateManager }): void {
  fx.tmp = tempDir();
  fx.state = new StateManager(join(fx.tmp.dir, ".herdctl"));
  fx.state.open();
}

/** What a test of a whole fleet on a fake clock uses; a test sets `fleet` so it is stopped after it. */
export interface ClockFleetFixture extends RuntimeFixture {
  readonly clock: FakeClock;
  fleet: FleetManager | undefined;
}

/**
 * Registers the hooks of a fleet test on a fake clock: one stand-in for the describe block; per
 * test a temp dir and a clock at `start`, and afterwards the fleet stopped and the dir deleted.
 */
export function clockFleetFixture(start: string): ClockFleetFixture {
  const fx = { fleet: undefined } as {
    standin: Standin;
    tmp: TempDir;
    clock: FakeClock;
    fleet?: FleetManager;
  };
  beforeAll(async () => {
    fx.standin = await startStandin();
  });
  afterAll(() => fx.standin.close());
  beforeEach(() => {
    fx.tmp = tempDir();
    fx.clock = new FakeClock(start);
  });
  afterEach(async () => {
    await fx.fleet?.stop({ timeoutMs: 0 });
    fx.fleet = undefined;
    fx.tmp.cleanup();
  });
  return fx as ClockFleetFixture;
}
