import { buildImage } from "../../packages/core/src/docker/image.js";

/**
 * On a fresh machine the runtime images cost minutes to build (debootstrap, then the dev profile's
 * apt layer). Starting that build when the run starts lets it overlap the tests that need no
 * image, instead of a Docker test file waiting on it with a worker idle. The build is the same one
 * the fixtures ask for (same recipe, same cross-process lock), so they find it done or wait for it;
 * a failure here is left to them to report.
 */
let building: Promise<unknown> | undefined;

export function setup(): void {
  // Only for the whole suite (npm test sets it): one file run by hand should not wait on a build.
  if (process.env.HERDCTL_TEST_WARM_IMAGES !== "1") return;
  building = buildImage({ offline: true, profile: "dev" }).catch(() => undefined);
}

export async function teardown(): Promise<void> {
  // Never leave a half-built image or a held build lock behind.
  await building;
}
