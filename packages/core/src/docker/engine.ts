import { createRequire } from "node:module";
import type Dockerode from "dockerode";

/**
 * A Docker Engine API client (DOCKER_HOST honoured). dockerode and its SSH stack take a large
 * share of start-up time, so they load on first use: commands and fleets without Docker never pay.
 */
export function dockerClient(): Dockerode {
  const require = createRequire(import.meta.url);
  const DockerodeClass = require("dockerode") as typeof Dockerode;
  return new DockerodeClass();
}
