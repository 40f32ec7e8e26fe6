import { buildImage } from "../../src/docker/image.js";

/**
 * herdctl/runtime:dev, built once per machine like the base image: on a fresh machine it costs the
 * base build plus one `apt-get install` layer on top (see docs/docker.md for the times); later
 * calls are a ping and a label lookup.
 */
export async function ensureDevImage(): Promise<string> {
  const { tag } = await buildImage({ offline: true, profile: "dev" });
  return tag;
}
