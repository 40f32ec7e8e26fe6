import { buildCommandFor } from "./profiles.js";

export type DockerErrorCode =
  | "DOCKER_UNAVAILABLE"
  | "DOCKER_IMAGE_MISSING"
  | "DOCKER_CONTAINER_LIMIT"
  | "DOCKER_EXEC_FAILED"
  | "DOCKER_PATH_UNMAPPED"
  | "DOCKER_BUILD_FAILED"
  | "DOCKER_FAILED";

export type DockerFailure =
  | { code: "DOCKER_UNAVAILABLE"; endpoint: string; detail: string }
  | { code: "DOCKER_IMAGE_MISSING"; image: string }
  | { code: "DOCKER_CONTAINER_LIMIT"; agent: string; running: number; max: number }
  | { code: "DOCKER_EXEC_FAILED"; containerId: string; detail: string }
  | { code: "DOCKER_PATH_UNMAPPED"; path: string; workingDirectory: string }
  | { code: "DOCKER_BUILD_FAILED"; detail: string }
  | { code: "DOCKER_FAILED"; action: string; detail: string };

/** Every wording for a Docker failure lives here, so messages stay consistent and testable. */
export function describeDockerFailure(f: DockerFailure): string {
  switch (f.code) {
    case "DOCKER_UNAVAILABLE":
      return (
        `cannot reach the Docker engine at ${f.endpoint} (${f.detail}): start it (e.g. "sudo dockerd &" ` +
        `or "sudo systemctl start docker") or point DOCKER_HOST at a running engine`
      );
    case "DOCKER_IMAGE_MISSING": {
      const build = buildCommandFor(f.image);
      if (!build)
        return `the Docker image "${f.image}" is not on this engine: pull or build it, or set docker.image to an image you have`;
      return (
        `the Docker image "${f.image}" is not on this engine: run "${build.offline}" ` +
        `(no registry needed) or "${build.online}", or set docker.image to an image you have`
      );
    }
    case "DOCKER_CONTAINER_LIMIT":
      return (
        `agent "${f.agent}" already has ${f.running} running container${f.running === 1 ? "" : "s"} ` +
        `(docker.max_containers: ${f.max}): wait for a job to finish or raise docker.max_containers`
      );
    case "DOCKER_EXEC_FAILED":
      return `could not run a command in container ${f.containerId.slice(0, 12)}: ${f.detail}`;
    case "DOCKER_PATH_UNMAPPED":
      return (
        `${f.path} is outside the agent's working directory ${f.workingDirectory}, so the container ` +
        `cannot see it: keep files the agent needs under its working directory or mount them with docker.volumes`
      );
    case "DOCKER_BUILD_FAILED":
      return `building the herdctl runtime image failed: ${f.detail}`;
    case "DOCKER_FAILED":
      return `Docker could not ${f.action}: ${f.detail}`;
  }
}

export class DockerError extends Error {
  readonly code: DockerErrorCode;
  readonly failure: DockerFailure;

  constructor(failure: DockerFailure, options?: { cause?: unknown }) {
    super(describeDockerFailure(failure), options);
    this.name = "DockerError";
    this.code = failure.code;
    this.failure = failure;
  }
}

interface ModemLike {
  socketPath?: unknown;
  protocol?: string;
  host?: string;
  port?: string | number;
}

/** Where a dockerode client connects (its modem read DOCKER_HOST when it was made), for messages. */
export function dockerEndpoint(docker?: { modem?: unknown }): string {
  const modem = docker?.modem as ModemLike | undefined;
  if (typeof modem?.socketPath === "string") return `unix://${modem.socketPath}`;
  if (modem?.host) return `${modem.protocol ?? "http"}://${modem.host}${modem.port ? `:${modem.port}` : ""}`;
  return process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT"]);

/** True when an error means "no engine answered", as opposed to the engine refusing a request. */
export function isEngineUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && UNREACHABLE.has(code);
}

export function unavailable(error: unknown, docker?: { modem?: unknown }): DockerError {
  const code = (error as { code?: unknown } | null)?.code;
  const detail = typeof code === "string" ? code : engineMessage(error);
  return new DockerError(
    { code: "DOCKER_UNAVAILABLE", endpoint: dockerEndpoint(docker), detail },
    { cause: error },
  );
}

/** Turns a dockerode failure into a DockerError, keeping the engine's own explanation. */
export function toDockerError(error: unknown, action: string, docker?: { modem?: unknown }): DockerError {
  if (error instanceof DockerError) return error;
  if (isEngineUnreachable(error)) return unavailable(error, docker);
  return new DockerError({ code: "DOCKER_FAILED", action, detail: engineMessage(error) }, { cause: error });
}

/** The engine's JSON `message` when it sent one, else the error text. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return error instanceof Error ? error.message : String(error);
}

export function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}
