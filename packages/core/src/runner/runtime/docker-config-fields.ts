import { isIP } from "node:net";
import { isAbsolute, resolve } from "node:path";
import { CONTAINER_CLAUDE_DIR, CONTAINER_WORKSPACE } from "../../docker/runtime-image.js";

/** Parsers for single docker-block values. Each error names the key and shows the right form. */

/** proxy-only: no network at all but a path to herdctl's credential proxy (see proxy/forwarder.ts). */
export type DockerNetwork = "none" | "bridge" | "host" | "proxy-only";

export interface DockerVolume {
  hostPath: string;
  containerPath: string;
  mode: "ro" | "rw";
}

export interface DockerPort {
  hostIp?: string;
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

export class DockerConfigError extends Error {
  readonly code = "DOCKER_CONFIG_INVALID";
  /** Dotted path of the offending key, e.g. docker.memory. */
  readonly path: string;

  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = "DockerConfigError";
    this.path = path;
  }
}

const MIN_MEMORY = 6 * 1024 ** 2;
const UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

export function quote(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

export function parseSize(path: string, value: string | number): number {
  const text = String(value).trim().toLowerCase();
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/.exec(text);
  if (!match)
    throw new DockerConfigError(
      path,
      `${quote(value)} is not a size; use a number with a unit, like 512m or 2g`,
    );
  const bytes = Math.round(Number(match[1]) * (UNITS[match[2] ?? ""] ?? 1));
  if (bytes < MIN_MEMORY) {
    throw new DockerConfigError(
      path,
      `${quote(value)} is too small; Docker needs at least 6m (a bare number means bytes)`,
    );
  }
  return bytes;
}

export function positiveInt(path: string, value: unknown, example: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new DockerConfigError(path, `${quote(value)} is not a whole number above 0; use e.g. ${example}`);
  }
  return value;
}

export function parseNetwork(value: unknown): DockerNetwork {
  if (value === "none" || value === "bridge" || value === "host" || value === "proxy-only") return value;
  throw new DockerConfigError(
    "docker.network",
    `${quote(value)} is not a network mode; use proxy-only, none, bridge or host`,
  );
}

export type DockerCredentials = "env" | "proxy";

/**
 * `proxy` needs a path from the container's loopback to herdctl's proxy: the host's own network
 * namespace, or proxy-only's forwarder. proxy-only has no other way to the model, so it implies
 * `proxy`.
 */
export function parseCredentials(value: unknown, network: DockerNetwork): DockerCredentials {
  if (value !== undefined && value !== "env" && value !== "proxy") {
    throw new DockerConfigError(
      "docker.credentials",
      `${quote(value)} is not a credential mode; use proxy (the default) or env`,
    );
  }
  if (network === "proxy-only" && value === "env") {
    throw new DockerConfigError(
      "docker.credentials",
      "env cannot reach the model from network proxy-only, whose only way out is herdctl's proxy; remove docker.credentials (proxy-only implies proxy)",
    );
  }
  if (network === "none") {
    if (value === "proxy") {
      throw new DockerConfigError(
        "docker.credentials",
        "proxy needs a way to herdctl's proxy and network none has none; set docker.network to proxy-only in the fleet file, which reaches the proxy and nothing else",
      );
    }
    return "env";
  }
  // The key stays on the host unless the fleet file asks for env: every network that can run a
  // job can reach the proxy (host through loopback, bridge and proxy-only through a mounted socket).
  return value ?? "proxy";
}

export function parseCpus(value: string | number): number {
  const cpus = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isFinite(cpus) || cpus <= 0 || String(value).trim() === "") {
    throw new DockerConfigError(
      "docker.cpus",
      `${quote(value)} is not a CPU count; use a number like 1 or 0.5`,
    );
  }
  return Math.round(cpus * 1e9);
}

export function parseUserString(value: string | number): string {
  const text = String(value).trim();
  const match = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!match) {
    throw new DockerConfigError(
      "docker.user",
      `${quote(value)} is not a uid:gid; use numbers, like 1000:1000`,
    );
  }
  return `${match[1]}:${match[2] ?? match[1]}`;
}

export function parseTmpfs(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list))
    throw new DockerConfigError("docker.tmpfs", 'must be a list, like ["/cache:size=64m"]');
  list.forEach((entry, i) => {
    const text = String(entry);
    const colon = text.indexOf(":");
    const target = colon === -1 ? text : text.slice(0, colon);
    if (!isAbsolute(target)) {
      throw new DockerConfigError(
        `docker.tmpfs[${i}]`,
        `${quote(entry)} is not an absolute path; use e.g. /cache:size=64m`,
      );
    }
    out[target] = colon === -1 ? "" : text.slice(colon + 1);
  });
  return out;
}

export function parseVolumes(list: unknown, workingDirectory: string | undefined): DockerVolume[] {
  if (!Array.isArray(list))
    throw new DockerConfigError("docker.volumes", 'must be a list, like ["/data:/data:ro"]');
  return list.map((entry, i) => {
    const path = `docker.volumes[${i}]`;
    const parts = String(entry).split(":");
    const mode = parts.length === 3 ? parts[2] : "rw";
    const [host, container] = parts;
    if (parts.length < 2 || parts.length > 3 || !host || !container || (mode !== "ro" && mode !== "rw")) {
      throw new DockerConfigError(
        path,
        `${quote(entry)} is not a volume; use host:container or host:container:ro`,
      );
    }
    if (!isAbsolute(container)) {
      throw new DockerConfigError(path, `${quote(entry)}: the container path must be absolute, like /data`);
    }
    if (container === CONTAINER_WORKSPACE || container === CONTAINER_CLAUDE_DIR) {
      throw new DockerConfigError(
        path,
        `${quote(entry)}: ${container} is where herdctl mounts its own directory`,
      );
    }
    if (!isAbsolute(host) && !workingDirectory) {
      throw new DockerConfigError(path, `${quote(entry)}: the host path must be absolute`);
    }
    return { hostPath: resolve(workingDirectory ?? "/", host), containerPath: container, mode };
  });
}

/**
 * `[host-ip:][host-port:]container-port[/tcp|udp]`, as `docker run -p` writes it; an IPv6 host
 * address goes in brackets. Undefined when the text is not one.
 */
export function parsePortSpec(text: string): DockerPort | undefined {
  const match = /^(?:(?:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):)?(\d+):)?(\d+)(?:\/(tcp|udp))?$/.exec(
    text.trim(),
  );
  if (!match) return undefined;
  const hostIp = match[1]?.replace(/^\[(.*)\]$/, "$1");
  if (hostIp !== undefined && isIP(hostIp) === 0) return undefined;
  const containerPort = Number(match[3]);
  const hostPort = match[2] === undefined ? containerPort : Number(match[2]);
  if (containerPort < 1 || containerPort > 65535 || hostPort < 1 || hostPort > 65535) return undefined;
  const port: DockerPort = { hostPort, containerPort, protocol: match[4] === "udp" ? "udp" : "tcp" };
  if (hostIp !== undefined) port.hostIp = hostIp;
  return port;
}

export const PORT_FORMS = 'host-port:container-port, like 8080:80, 127.0.0.1:8080:80 or "[::1]:8080:80"';

export function parsePort(entry: unknown, i: number): DockerPort {
  const port = parsePortSpec(String(entry));
  if (!port)
    throw new DockerConfigError(
      `docker.ports[${i}]`,
      `${quote(entry)} is not a port mapping; use ${PORT_FORMS}`,
    );
  return port;
}

export function stringMap(path: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new DockerConfigError(path, "must be a mapping of names to values");
  }
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (raw === null || typeof raw === "object") {
      throw new DockerConfigError(`${path}.${key}`, `${quote(raw)} is not a text value`);
    }
    out[key] = String(raw);
  }
  return out;
}
