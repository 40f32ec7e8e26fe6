import { buildImage } from "../../packages/core/src/docker/image.js";
import { ensureDaemonImage } from "./daemon-image.js";

/**
 * On a fresh machine the runtime images cost minutes to build (debootstrap, then the dev profile's
 * apt layer), and the daemon image (docker/daemon.Dockerfile, on the runtime image) about two more
 * whenever the built command changes. Starting those builds when the run starts lets them overlap
 * the tests that need no image, instead of a Docker test file waiting on them with a worker idle.
 * The builds are the same ones the fixtures ask for (same recipe, same cross-process locks), so
 * they find them done or wait for them; a failure here is left to them to report.
 */
let building: Promise<unknown> | undefined;

export function setup(): void {
  // Only for the whole suite (npm test sets it): one file run by hand should not wait on a build.
  if (process.env.HERDCTL_TEST_WARM_IMAGES !== "1") return;
  building = Promise.all([
    buildImage({ offline: true, profile: "dev" }).catch(() => undefined),
    // It waits for the runtime image (the base) under the same lock, then builds.
    ensureDaemonImage().catch(() => undefined),
  ]);
}

export async function teardown(): Promise<void> {
  // Never leave a half-built image or a held build lock behind.
  await building;
}
