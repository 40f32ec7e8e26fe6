import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { AGENT_DOCKER_KEYS, FLEET_ONLY_DOCKER_KEYS } from "../../config/docker-keys.js";
import { DEFAULT_IMAGE, IMAGE_GID, IMAGE_HOME, IMAGE_UID } from "../../docker/runtime-image.js";
import { parseEgressRule } from "../../proxy/egress-allowlist.js";
import {
  DockerConfigError,
  type DockerCredentials,
  type DockerNetwork,
  type DockerPort,
  type DockerVolume,
  parseCpus,
  parseCredentials,
  parseNetwork,
  parsePort,
  parseSize,
  parseTmpfs,
  parseUserString,
  parseVolumes,
  positiveInt,
  quote,
  stringMap,
} from "./docker-config-fields.js";

export {
  DockerConfigError,
  type DockerCredentials,
  type DockerNetwork,
  type DockerPort,
  type DockerVolume,
  parseSize,
};

/** The `docker:` block as written in YAML (agent or fleet defaults). Shape-checked by the config schema. */
export interface AgentDockerInput {
  enabled?: boolean;
  ephemeral?: boolean;
  image?: string;
  network?: string;
  memory?: string | number;
  cpus?: string | number;
  cpu_shares?: number;
  cpu_period?: number;
  cpu_quota?: number;
  pids_limit?: number;
  tmpfs?: string[];
  workspace_mode?: string;
  max_containers?: number;
  labels?: Record<string, string>;
  read_only?: boolean;
  user?: string | number;
  volumes?: string[];
  env?: Record<string, string | number | boolean>;
  ports?: Array<string | number>;
  host_config?: Record<string, unknown>;
  credentials?: string;
  egress?: { allow?: string[] };
}

/** A fully resolved docker block: every default applied, every value checked. */
export interface DockerConfig {
  enabled: boolean;
  ephemeral: boolean;
  image: string;
  network: DockerNetwork;
  memoryBytes: number;
  nanoCpus?: number;
  cpuShares?: number;
  /** CFS period and quota in microseconds; `cpus` is the simpler way to say the same. */
  cpuPeriod?: number;
  cpuQuota?: number;
  pidsLimit: number;
  /** Mount point → tmpfs options; includes /tmp and the home when readOnly. */
  tmpfs: Record<string, string>;
  workspaceMode: "rw" | "ro";
  maxContainers: number;
  labels: Record<string, string>;
  readOnly: boolean;
  /** Numeric "uid:gid"; "0:0" only when the user asked for it. */
  user: string;
  volumes: DockerVolume[];
  env: Record<string, string>;
  ports: DockerPort[];
  /** Raw Docker HostConfig keys, applied last (they win over herdctl's own settings). */
  hostConfig: Record<string, unknown>;
  /** env: the credential goes into each exec; proxy: only a per-job token does (see proxy/). */
  credentials: DockerCredentials;
  /** docker.egress.allow as written; only proxy-only containers use it (see proxy/egress-allowlist.ts). */
  egressAllow: string[];
}

export interface DockerConfigContext {
  hostUid?: number;
  hostGid?: number;
  workingDirectory?: string;
  warn?: (message: string) => void;
}

const KNOWN_KEYS = [...AGENT_DOCKER_KEYS, ...FLEET_ONLY_DOCKER_KEYS] as const;

const MERGED_MAPS = new Set(["labels", "env", "host_config"]);
const DEFAULT_MEMORY = 2 * 1024 ** 3;

/** Variables that must reach claude per exec only, never baked into a container's inspectable config. */
export function isCredentialEnvKey(key: string): boolean {
  return /(^|_)(API_KEY|TOKEN|SECRET|PASSWORD|CREDENTIALS?)$/i.test(key) || key === "ANTHROPIC_BASE_URL";
}

/**
 * The container user: herdctl's own uid:gid so files in the workspace stay the user's. When
 * herdctl runs as root, root inside the container is never the default: the workspace owner is
 * used, or the image's unprivileged user.
 */
function resolveUser(input: AgentDockerInput, context: DockerConfigContext): string {
  if (input.user !== undefined) return parseUserString(input.user);
  const uid = context.hostUid ?? process.getuid?.() ?? IMAGE_UID;
  const gid = context.hostGid ?? process.getgid?.() ?? IMAGE_GID;
  if (uid !== 0) return `${uid}:${gid}`;
  const dir = context.workingDirectory;
  if (dir) {
    try {
      const owner = statSync(dir);
      if (owner.uid !== 0) return `${owner.uid}:${owner.gid}`;
    } catch {
      // Missing directory: fall through to the image user; the job itself reports the bad path.
    }
  }
  context.warn?.(
    `docker.user: herdctl runs as root and ${dir ?? "the working directory"} is owned by root, so the ` +
      `container runs as ${IMAGE_UID}:${IMAGE_GID} (the image's herdctl user) and the workspace may not be ` +
      `writable: chown the working directory to a regular user, or set docker.user ("0:0" runs as root)`,
  );
  return `${IMAGE_UID}:${IMAGE_GID}`;
}

function merge(agent: AgentDockerInput | undefined, fleet: AgentDockerInput | undefined): AgentDockerInput {
  const out: Record<string, unknown> = { ...(fleet ?? {}) };
  for (const [name, value] of Object.entries(agent ?? {})) {
    if (value === undefined) continue;
    const base = out[name];
    out[name] =
      MERGED_MAPS.has(name) && base && typeof base === "object" && value && typeof value === "object"
        ? { ...(base as object), ...(value as object) }
        : value;
  }
  return out as AgentDockerInput;
}

/**
 * Resolves an agent's docker block (over the fleet's defaults) into a DockerConfig. Throws a
 * DockerConfigError naming the key and the right form; reports risky choices through `warn`.
 */
export function resolveDockerConfig(
  agentDocker: AgentDockerInput | undefined,
  fleetDocker?: AgentDockerInput,
  context: DockerConfigContext = {},
): DockerConfig {
  const input = merge(agentDocker, fleetDocker);
  for (const name of Object.keys(input)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(name)) {
      throw new DockerConfigError(
        `docker.${name}`,
        `is not a docker option; use one of: ${KNOWN_KEYS.join(", ")}`,
      );
    }
  }
  const network = input.network === undefined ? "bridge" : parseNetwork(input.network);
  const workspaceMode = input.workspace_mode ?? "rw";
  if (workspaceMode !== "rw" && workspaceMode !== "ro") {
    throw new DockerConfigError(
      "docker.workspace_mode",
      `${quote(workspaceMode)} is not a mode; use rw or ro`,
    );
  }
  const readOnly = input.read_only ?? false;
  const user = resolveUser(input, context);
  const [uid, gid] = user.split(":");
  const tmpfs = input.tmpfs === undefined ? {} : parseTmpfs(input.tmpfs);
  if (readOnly) {
    // A read-only root still needs somewhere to write: claude keeps state under $HOME and /tmp.
    tmpfs["/tmp"] ??= "rw,nosuid,nodev,size=512m,mode=1777";
    tmpfs[IMAGE_HOME] ??= `rw,nosuid,nodev,size=256m,uid=${uid},gid=${gid},mode=0755`;
  }
  const labels = input.labels === undefined ? {} : stringMap("docker.labels", input.labels);
  for (const name of Object.keys(labels)) {
    if (name.startsWith("herdctl.")) {
      throw new DockerConfigError(
        `docker.labels.${name}`,
        "labels starting with herdctl. are reserved; use another prefix",
      );
    }
  }
  const credentials = parseCredentials(input.credentials, network);
  const ports =
    input.ports === undefined
      ? []
      : (Array.isArray(input.ports) ? input.ports : [input.ports]).map(parsePort);
  if (ports.length > 0 && network !== "bridge") {
    context.warn?.(
      `docker.ports: ports are only published with network bridge; network ${network} ignores them`,
    );
  }
  const egressAllow = parseEgressAllow(input.egress);
  if (egressAllow.length > 0 && network !== "proxy-only") {
    context.warn?.(
      `docker.egress.allow only applies with network proxy-only; network ${network} reaches the network directly, so it is ignored`,
    );
  }
  const hostConfig = input.host_config ?? {};
  if (typeof hostConfig !== "object" || Array.isArray(hostConfig)) {
    throw new DockerConfigError(
      "docker.host_config",
      "must be a mapping of Docker HostConfig keys, like { ShmSize: 268435456 }",
    );
  }

  const config: DockerConfig = {
    enabled: input.enabled ?? false,
    ephemeral: input.ephemeral ?? true,
    image: input.image ?? DEFAULT_IMAGE,
    network,
    memoryBytes: input.memory === undefined ? DEFAULT_MEMORY : parseSize("docker.memory", input.memory),
    pidsLimit:
      input.pids_limit === undefined ? 512 : positiveInt("docker.pids_limit", input.pids_limit, "512"),
    tmpfs,
    workspaceMode,
    maxContainers:
      input.max_containers === undefined
        ? 5
        : positiveInt("docker.max_containers", input.max_containers, "5"),
    labels,
    readOnly,
    user,
    volumes: input.volumes === undefined ? [] : parseVolumes(input.volumes, context.workingDirectory),
    env: input.env === undefined ? {} : stringMap("docker.env", input.env),
    ports,
    hostConfig: { ...hostConfig },
    credentials,
    egressAllow,
  };
  if (input.cpus !== undefined) config.nanoCpus = parseCpus(input.cpus);
  if (input.cpu_shares !== undefined)
    config.cpuShares = positiveInt("docker.cpu_shares", input.cpu_shares, "512");
  if (input.cpu_period !== undefined)
    config.cpuPeriod = positiveInt("docker.cpu_period", input.cpu_period, "100000");
  if (input.cpu_quota !== undefined)
    config.cpuQuota = positiveInt("docker.cpu_quota", input.cpu_quota, "50000");
  if (typeof input.image !== "string" && input.image !== undefined) {
    throw new DockerConfigError(
      "docker.image",
      `${quote(input.image)} is not an image name; use e.g. ${DEFAULT_IMAGE}`,
    );
  }
  return config;
}

function parseEgressAllow(value: unknown): string[] {
  if (value === undefined) return [];
  const allow = value && typeof value === "object" ? (value as { allow?: unknown }).allow : undefined;
  if ((allow !== undefined && !Array.isArray(allow)) || !value || typeof value !== "object") {
    throw new DockerConfigError("docker.egress", 'must be { allow: ["github.com", "*.example.com:443"] }');
  }
  return (allow ?? []).map((entry, i) => {
    const rule = parseEgressRule(String(entry));
    if ("error" in rule) throw new DockerConfigError(`docker.egress.allow[${i}]`, rule.error);
    return String(entry);
  });
}

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * A stable hash of everything fixed at container creation. Credentials are left out: they go in
 * per exec, so rotating a key does not recreate a persistent container.
 */
export function dockerConfigHash(cfg: DockerConfig): string {
  const env = Object.fromEntries(Object.entries(cfg.env).filter(([k]) => !isCredentialEnvKey(k)));
  const fields = {
    image: cfg.image,
    network: cfg.network,
    memoryBytes: cfg.memoryBytes,
    nanoCpus: cfg.nanoCpus,
    cpuShares: cfg.cpuShares,
    cpuPeriod: cfg.cpuPeriod,
    cpuQuota: cfg.cpuQuota,
    pidsLimit: cfg.pidsLimit,
    tmpfs: cfg.tmpfs,
    workspaceMode: cfg.workspaceMode,
    readOnly: cfg.readOnly,
    user: cfg.user,
    volumes: cfg.volumes,
    env,
    ports: cfg.ports,
    labels: cfg.labels,
    hostConfig: cfg.hostConfig,
  };
  return createHash("sha256")
    .update(JSON.stringify(stable(fields)))
    .digest("hex");
}
