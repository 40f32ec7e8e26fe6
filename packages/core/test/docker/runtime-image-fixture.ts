import Dockerode from "dockerode";
import { buildImage } from "../../src/docker/image.js";

/**
 * Every Docker test needs herdctl/runtime:latest. The offline build is cached by recipe hash, so
 * this is a ping and a label lookup once the first file has built it (~80 s on a fresh machine).
 */
export async function ensureRuntimeImage(): Promise<string> {
  const { tag } = await buildImage({ offline: true });
  return tag;
}

export const IMAGE_TIMEOUT_MS = 600_000;

/** Removes every container a test fleet created, found by label. */
export async function removeFleetContainers(fleet: string): Promise<void> {
  const docker = new Dockerode();
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`herdctl.fleet=${fleet}`] },
  });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        // 404 gone, 409 being removed (a used ephemeral container is removed after its job's end).
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404 && error.statusCode !== 409) throw error;
        }),
    ),
  );
}
