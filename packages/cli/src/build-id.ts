declare const __HERDCTL_BUILD__: string | undefined;

/**
 * A hash of the sources the bundle was built from (scripts/bundle-cli.mjs), so a cache of what
 * this build computed (fleet-cache.ts) is never read by another build, even one with the same
 * version; undefined when not running from the bundle, which then keeps no such cache.
 */
export const BUILD_ID: string | undefined =
  typeof __HERDCTL_BUILD__ === "string" ? __HERDCTL_BUILD__ : undefined;
