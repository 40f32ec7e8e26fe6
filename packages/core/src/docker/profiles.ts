import { DEFAULT_IMAGE } from "./runtime-image.js";

/**
 * The images `herdctl docker build --profile` makes. `base` is what every agent needs to run
 * claude; `dev` adds the toolchains that stdio MCP servers and build steps expect.
 */
export const IMAGE_PROFILES = ["base", "dev"] as const;
export type ImageProfile = (typeof IMAGE_PROFILES)[number];

export const DEV_IMAGE = "herdctl/runtime:dev";

export const PROFILE_IMAGES: Readonly<Record<ImageProfile, string>> = { base: DEFAULT_IMAGE, dev: DEV_IMAGE };

export function isImageProfile(value: string): value is ImageProfile {
  return (IMAGE_PROFILES as readonly string[]).includes(value);
}

/** The herdctl command that builds `image`, when it is one of herdctl's own images. */
export function buildCommandFor(image: string): { offline: string; online: string } | undefined {
  const profile = (Object.keys(PROFILE_IMAGES) as ImageProfile[]).find(
    (p) => PROFILE_IMAGES[p] === image || (p === "base" && image === "herdctl/runtime"),
  );
  if (!profile) return undefined;
  const flag = profile === "base" ? "" : ` --profile ${profile}`;
  return { offline: `herdctl docker build --offline${flag}`, online: `herdctl docker build${flag}` };
}
