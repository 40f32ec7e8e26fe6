import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions } from "node:http";
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
  const DockerodeClass = loadDockerode();
  const docker = new DockerodeClass();
  const modem = docker.modem as ModemConnection;
  // ssh builds its own agent per request.
  if (modem.protocol === "http") modem.agent = new HttpAgent(PLAIN_AGENT);
  else if (modem.protocol === "https") modem.agent = new HttpsAgent({ keepAlive: true });
  return docker;
}

/**
 * A plain-HTTP connection (the engine's unix socket, or tcp:// without TLS) has no TLS server
 * name. Naming none ("") keeps Node's agent from computing one for each request, which compiled
 * its IPv6 pattern (~9 ms of CPU) on a trigger's first engine request.
 */
const PLAIN_AGENT: HttpAgentOptions & { servername: string } = { keepAlive: true, servername: "" };

/**
 * The bundled CLI has dockerode.cjs beside each of its modules (scripts/bundle-cli.mjs): dockerode
 * with its BuildKit session (gRPC, protobuf) and SSH client loaded only when used, which halves
 * what loading it costs (~140 of ~250 ms of a Docker command's start-up). Elsewhere (the sources,
 * core's own build) the package itself.
 */
function loadDockerode(): typeof Dockerode {
  const require = createRequire(import.meta.url);
  let bundled: string | undefined;
  try {
    bundled = require.resolve("./dockerode.cjs");
  } catch {
    // Not the bundled CLI.
  }
  return require(bundled ?? "dockerode") as typeof Dockerode;
}

/** Ends every connection the client holds, idle or in use. Requests made afterwards reconnect. */
export function closeDockerClient(docker: Dockerode): void {
  (docker.modem as ModemConnection).agent?.destroy();
}
