import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { createRequire } from "node:module";
import type Dockerode from "dockerode";

interface ModemConnection {
  protocol?: string;
  agent?: HttpAgent;
}

/**
 * A Docker Engine API client (DOCKER_HOST honoured). dockerode and its SSH stack take a large
 * share of start-up time, so they load on first use: commands and fleets without Docker never pay.
 *
 * It gets an HTTP agent of its own rather than Node's global one, so `closeDockerClient` can end
 * every connection it holds: a stopping daemon must not wait for the engine to drop them.
 */
export function dockerClient(): Dockerode {
  const require = createRequire(import.meta.url);
  const DockerodeClass = require("dockerode") as typeof Dockerode;
  const docker = new DockerodeClass();
  const modem = docker.modem as ModemConnection;
  // ssh builds its own agent per request.
  if (modem.protocol === "http") modem.agent = new HttpAgent({ keepAlive: true });
  else if (modem.protocol === "https") modem.agent = new HttpsAgent({ keepAlive: true });
  return docker;
}

/** Ends every connection the client holds, idle or in use. Requests made afterwards reconnect. */
export function closeDockerClient(docker: Dockerode): void {
  (docker.modem as ModemConnection).agent?.destroy();
}
