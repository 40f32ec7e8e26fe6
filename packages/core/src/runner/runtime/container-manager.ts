import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { chmod, chown, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { closeDockerClient, dockerClient } from "../../docker/engine.js";
import { DockerError, statusCode, toDockerError, unavailable } from "../../docker/errors.js";
import { removeInHelper } from "../../docker/removal-helper.js";
import { CONTAINER_CLAUDE_DIR, CONTAINER_WORKSPACE, IMAGE_HOME } from "../../docker/runtime-image.js";
import { CONTAINER_PROXY_DIR, forwarderCommand, reachesProxyBySocket } from "../../proxy/forwarder.js";
import { PRIVATE_DIR } from "../../state/permissions.js";
import { ContainerProcess } from "./container-exec.js";
import { containerName, LABEL } from "./container-labels.js";
import { type ShieldMount, shieldMounts, writableMounts } from "./container-shield.js";
import { type DockerConfig, dockerConfigHash, isCredentialEnvKey } from "./docker-config.js";
import type { ConfigGuard } from "./host-guard.js";
import type { LaunchedProcess, LaunchOptions } from "./launcher.js";
import type { PluginMount } from "./plugin-mounts.js";
import type { WarmContainers } from "./warm-containers.js";

/** An empty, read-only file to mount where a protected file does not exist yet. */
function placeholderFile(stateDir: string): string {
  const path = join(stateDir, "empty-placeholder");
  if (!existsSync(path)) {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path, "", { mode: 0o444 });
  }
  return path;
}

export { LABEL } from "./container-labels.js";

function agentKey(spec: ContainerSpec): string {
  return `${spec.fleet}\u0000${spec.agent}`;
}

export interface ContainerSpec {
  fleet: string;
  agent: string;
  jobId: string;
  config: DockerConfig;
  /** Host path mounted at /workspace. */
  workingDirectory: string;
  /** Host path of .herdctl/docker-sessions/<agent>, mounted as claude's config directory. */
  claudeConfigDir: string;
  /** The fleet's configuration and state: kept read-only (or hidden) wherever a mount is writable. */
  guard?: ConfigGuard;
  /** The agent's plugin folders, bound read-only at fixed paths. */
  plugins?: readonly PluginMount[];
  /** Host directory of the credential proxy's unix socket; required by network proxy-only. */
  proxySocketDir?: string;
}

/** The body of the engine's create request (POST /containers/create), as JSON. */
export type ContainerCreateBody = Record<string, unknown> & { Labels: Record<string, string> };

export interface EnsuredContainer {
  id: string;
  reused: boolean;
  /** Created ahead of this job by WarmContainers. */
  warm: boolean;
  /** Credentials from docker.env: never baked into the container, so pass them to every exec. */
  credentialEnv: Record<string, string>;
}

export interface ContainerSummary {
  id: string;
  name: string;
  fleet: string;
  agent: string;
  jobId: string;
  ephemeral: boolean;
  /** Created ahead of a job and not taken yet (WarmContainers): kept for exactly one job. */
  warm: boolean;
  configHash: string;
  state: string;
}

export interface ContainerManagerOptions {
  /** How long a cancelled exec gets between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /**
   * retire() hands each removal to a helper process (docker/removal-helper.ts) instead of
   * removing the container here: for a process that exits once its job has ended (an in-process
   * trigger), which would otherwise wait for the engine or cut the removal off.
   */
  removeInHelper?: boolean;
  /** Called with each container handed to a helper process. */
  onHandedOff?: (id: string) => void;
}

/** Creates, reuses, runs commands in and removes herdctl's agent containers, found by label. */
export class ContainerManager {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Removals started by retire(), not yet done. */
  private readonly removals = new Set<Promise<void>>();
  private readonly retiring = new Set<string>();
  private readonly killGraceMs: number;
  private readonly inHelper: boolean;
  private readonly onHandedOff: ((id: string) => void) | undefined;

  constructor(
    readonly docker: Dockerode = dockerClient(),
    options: ContainerManagerOptions = {},
  ) {
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.inHelper = options.removeInHelper === true;
    this.onHandedOff = options.onHandedOff;
  }

  /** Ends the engine connections this manager holds; a stopping daemon calls it after its jobs ended. */
  close(): void {
    closeDockerClient(this.docker);
  }

  /** Fails with DOCKER_UNAVAILABLE, saying how to fix it, when no engine answers. */
  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw unavailable(error, this.docker);
    }
  }

  /** Whether the engine has `image`; other failures (no engine) throw as DockerErrors. */
  async hasImage(image: string): Promise<boolean> {
    try {
      await this.imageId(image);
      return true;
    } catch (error) {
      if ((error as DockerError).code === "DOCKER_IMAGE_MISSING") return false;
      throw error;
    }
  }

  /** Warm containers (warm-containers.ts), when the fleet keeps them: ephemeral jobs look there first. */
  warm: WarmContainers | undefined;

  /**
   * `options.warm`: a run of the agent's own (ContainerRunner), which may take the agent's warm
   * container and whose spec the next warm one copies; a hook's container does neither.
   */
  async ensureContainer(spec: ContainerSpec, options: { warm?: boolean } = {}): Promise<EnsuredContainer> {
    const hash = await this.identify(spec);
    const credentialEnv = Object.fromEntries(
      Object.entries(spec.config.env).filter(([key]) => isCredentialEnvKey(key)),
    );
    // Serialised per agent, so concurrent jobs neither race past max_containers nor both create
    // the one persistent container.
    return this.withLock(agentKey(spec), async () => {
      const takesWarm = spec.config.ephemeral && this.warm !== undefined && options.warm === true;
      // A container being created ahead for this agent is waited for, so the list below holds it.
      if (takesWarm) await this.warm?.arrived(spec.agent);
      let existing = await this.agentContainers(spec);
      if (takesWarm && this.warm) {
        this.warm.remember(spec, hash);
        const warm = this.warm.take(spec, hash);
        // Still running: nothing outside herdctl stopped it since it was made.
        if (warm?.matches && existing.some((c) => c.id === warm.id && c.state === "running"))
          return { id: warm.id, reused: false, warm: true, credentialEnv };
        if (warm) {
          // Made from an older config, image or folder: nothing can use it now.
          this.retire(warm.id);
          existing = existing.filter((c) => c.id !== warm.id);
        }
      }
      if (!spec.config.ephemeral) {
        for (const stale of existing.filter((c) => !c.ephemeral && c.configHash !== hash)) {
          await this.removeContainer(stale.id);
        }
        const match = existing.find((c) => !c.ephemeral && c.configHash === hash);
        if (match) {
          if (match.state !== "running")
            await this.call("start a container", () => this.docker.getContainer(match.id).start());
          return { id: match.id, reused: true, warm: false, credentialEnv };
        }
      }
      this.checkLimit(spec, existing, hash);
      await this.prepareClaudeDir(spec);
      const id = await this.create(spec, hash);
      return { id, reused: false, warm: false, credentialEnv };
    });
  }

  /**
   * Creates and starts an ephemeral container for the agent's next job (see WarmContainers), under
   * the agent's lock; `keep` decides, still under it, whether it is kept or removed at once.
   */
  async createWarm(spec: ContainerSpec, keep: (id: string, hash: string) => boolean): Promise<void> {
    const hash = await this.identify(spec);
    await this.withLock(agentKey(spec), async () => {
      const existing = await this.agentContainers(spec);
      this.checkLimit(spec, existing, hash);
      await this.prepareClaudeDir(spec);
      const id = await this.create(spec, hash, true);
      if (!keep(id, hash)) await this.removeContainer(id);
    });
  }

  /** The container's config hash, after checking the engine, the image and the working directory. */
  private async identify(spec: ContainerSpec): Promise<string> {
    // Both at once: the ping only turns an engine that does not answer into the clear error.
    const [, imageId] = await Promise.all([this.ping(), this.imageId(spec.config.image)]);
    if (!existsSync(spec.workingDirectory)) {
      throw new DockerError({
        code: "DOCKER_FAILED",
        action: `mount ${spec.workingDirectory}`,
        detail: "the working directory does not exist; create it or fix working_directory",
      });
    }
    return createHash("sha256")
      .update(
        JSON.stringify([
          dockerConfigHash(spec.config),
          imageId,
          spec.workingDirectory,
          spec.claudeConfigDir,
          this.shield(spec),
          spec.plugins ?? [],
          spec.proxySocketDir ?? null,
        ]),
      )
      .digest("hex")
      .slice(0, 32);
  }

  /** The agent's containers, but not those retire() is removing: they count against no limit. */
  private async agentContainers(spec: ContainerSpec): Promise<ContainerSummary[]> {
    const all = await this.list({ [LABEL.fleet]: spec.fleet, [LABEL.agent]: spec.agent });
    return all.filter((c) => !this.retiring.has(c.id));
  }

  private checkLimit(spec: ContainerSpec, existing: ContainerSummary[], hash: string): void {
    const running = existing.filter(
      (c) => c.state === "running" && (c.ephemeral || c.configHash === hash),
    ).length;
    if (running >= spec.config.maxContainers) {
      throw new DockerError({
        code: "DOCKER_CONTAINER_LIMIT",
        agent: spec.agent,
        running,
        max: spec.config.maxContainers,
      });
    }
  }

  private async withLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    return next;
  }

  private async imageId(image: string): Promise<string> {
    try {
      return (await this.docker.getImage(image).inspect()).Id;
    } catch (error) {
      if (statusCode(error) === 404)
        throw new DockerError({ code: "DOCKER_IMAGE_MISSING", image }, { cause: error });
      throw toDockerError(error, `inspect image ${image}`, this.docker);
    }
  }

  /**
   * claude writes transcripts here as the container user; when we are root, hand it over. Private
   * to that user: the container reaches it through its bind mount, not through .herdctl.
   */
  private async prepareClaudeDir(spec: ContainerSpec): Promise<void> {
    await mkdir(spec.claudeConfigDir, { recursive: true, mode: PRIVATE_DIR });
    await chmod(spec.claudeConfigDir, PRIVATE_DIR);
    if (process.getuid?.() !== 0) return;
    const [uid, gid] = spec.config.user.split(":").map(Number) as [number, number];
    if (statSync(spec.claudeConfigDir).uid === uid) return;
    await chown(spec.claudeConfigDir, uid, gid);
    for (const entry of await readdir(spec.claudeConfigDir, { recursive: true })) {
      await chown(join(spec.claudeConfigDir, entry), uid, gid);
    }
  }

  /**
   * What create() asks the engine for: the container's name (random) and the body of the create
   * request. Pure but for the shield's placeholder file; a container started ahead from another
   * process (the CLI's first file) is taken only when its body is exactly the one this gives.
   */
  createRequest(
    spec: ContainerSpec,
    hash: string,
    warm = false,
  ): { name: string; body: ContainerCreateBody } {
    const cfg = spec.config;
    const proxyOnly = cfg.network === "proxy-only";
    const bySocket = reachesProxyBySocket(cfg);
    if (bySocket && !spec.proxySocketDir) {
      throw new DockerError({
        code: "DOCKER_FAILED",
        action: "create a container that reaches the credential proxy",
        detail: "no credential proxy is running for it; this is a herdctl bug, please report it",
      });
    }
    const env = Object.entries(cfg.env)
      .filter(([key]) => !isCredentialEnvKey(key))
      .map(([key, value]) => `${key}=${value}`);
    const portBindings: Record<string, Array<{ HostIp?: string; HostPort: string }>> = {};
    for (const port of cfg.ports) {
      const key = `${port.containerPort}/${port.protocol}`;
      portBindings[key] ??= [];
      portBindings[key].push({
        HostPort: String(port.hostPort),
        ...(port.hostIp ? { HostIp: port.hostIp } : {}),
      });
    }
    const hostConfig: Record<string, unknown> = {
      Binds: [
        `${spec.workingDirectory}:${CONTAINER_WORKSPACE}:${cfg.workspaceMode}`,
        `${spec.claudeConfigDir}:${CONTAINER_CLAUDE_DIR}:rw`,
        ...cfg.volumes.map((v) => `${v.hostPath}:${v.containerPath}:${v.mode}`),
        ...(bySocket ? [`${spec.proxySocketDir}:${CONTAINER_PROXY_DIR}:ro`] : []),
      ],
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Memory: cfg.memoryBytes,
      // Equal to Memory: no swap, so the limit really bounds the container.
      MemorySwap: cfg.memoryBytes,
      PidsLimit: cfg.pidsLimit,
      // proxy-only: no interface but loopback; the forwarder below is the only way out.
      NetworkMode: proxyOnly ? "none" : cfg.network,
      ReadonlyRootfs: cfg.readOnly,
      Tmpfs: cfg.tmpfs,
      PortBindings: portBindings,
      // An init as pid 1 reaps what killed execs leave behind and makes stop immediate.
      Init: true,
      ...(cfg.nanoCpus ? { NanoCpus: cfg.nanoCpus } : {}),
      ...(cfg.cpuShares ? { CpuShares: cfg.cpuShares } : {}),
      ...(cfg.cpuPeriod ? { CpuPeriod: cfg.cpuPeriod } : {}),
      ...(cfg.cpuQuota ? { CpuQuota: cfg.cpuQuota } : {}),
      ...cfg.hostConfig,
    };
    // After host_config, so no raw setting can drop the protection of the fleet's own files.
    const extra = Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts : [];
    const plugins = (spec.plugins ?? []).map(
      (p): ShieldMount => ({ Type: "bind", Source: p.hostPath, Target: p.containerPath, ReadOnly: true }),
    );
    hostConfig.Mounts = [...extra, ...plugins, ...this.shield(spec)];
    const suffix = randomBytes(4).toString("hex");
    const name = containerName(spec.fleet, spec.agent, suffix);
    const body = {
      Image: cfg.image,
      Cmd: bySocket ? forwarderCommand() : ["sleep", "infinity"],
      User: cfg.user,
      WorkingDir: CONTAINER_WORKSPACE,
      Env: [...env, `HOME=${IMAGE_HOME}`, `CLAUDE_CONFIG_DIR=${CONTAINER_CLAUDE_DIR}`],
      Labels: {
        ...cfg.labels,
        [LABEL.fleet]: spec.fleet,
        [LABEL.agent]: spec.agent,
        [LABEL.job]: spec.jobId,
        [LABEL.configHash]: hash,
        [LABEL.ephemeral]: String(cfg.ephemeral),
        ...(warm ? { [LABEL.warm]: "true" } : {}),
      },
      ExposedPorts: Object.fromEntries(Object.keys(portBindings).map((key) => [key, {}])),
      HostConfig: hostConfig as Dockerode.HostConfig,
    };
    return { name, body: body as ContainerCreateBody };
  }

  private async create(spec: ContainerSpec, hash: string, warm = false): Promise<string> {
    const { name, body } = this.createRequest(spec, hash, warm);
    const cfg = spec.config;
    const bySocket = reachesProxyBySocket(cfg);
    const container = await this.call("create a container", () =>
      this.docker.createContainer({ name, ...body } as Dockerode.ContainerCreateOptions),
    );
    try {
      await this.call("start a container", () => container.start());
      if (bySocket) await this.checkForwarder(container, cfg);
    } catch (error) {
      await this.removeContainer(container.id).catch(() => undefined);
      throw error;
    }
    return container.id;
  }

  /** A custom image without socat stops at once; say so instead of failing the first exec. */
  private async checkForwarder(container: Dockerode.Container, cfg: DockerConfig): Promise<void> {
    const info = await this.call("inspect a container", () => container.inspect());
    if (info.State.Running) return;
    const otherwise =
      cfg.network === "proxy-only"
        ? ""
        : ", or set docker.credentials: env in the fleet file to pass the real credential into the container instead";
    throw new DockerError({
      code: "DOCKER_FAILED",
      action: "start the credential proxy's forwarder",
      detail: `socat did not start in image ${cfg.image} (exit code ${info.State.ExitCode}); reaching herdctl's credential proxy needs socat in the image: rebuild it with "herdctl docker build", or install socat in your own image${otherwise}`,
    });
  }

  /** See shieldMounts; the placeholder is an empty read-only file kept in the state folder. */
  private shield(spec: ContainerSpec): ShieldMount[] {
    if (!spec.guard) return [];
    const writable = writableMounts(spec.config, spec.workingDirectory, CONTAINER_WORKSPACE);
    return shieldMounts(writable, spec.guard, placeholderFile(spec.guard.stateDir), existsSync);
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toDockerError(error, action, this.docker);
    }
  }

  /**
   * Runs a command in the container with an argument array (no shell parses user text). Env is
   * per exec, which is where credentials belong. Killing or aborting really stops the process.
   */
  exec(
    containerId: string,
    command: string,
    args: readonly string[],
    options: LaunchOptions,
  ): LaunchedProcess {
    return new ContainerProcess(this.docker, containerId, command, args, options, this.killGraceMs);
  }

  /** Removes a container whatever its state; a container already gone is not an error. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      if (statusCode(error) === 404) return;
      // 409: removal already in progress, which ends the same way.
      if (statusCode(error) === 409) return;
      throw toDockerError(error, `remove container ${id.slice(0, 12)}`, this.docker);
    }
  }

  /**
   * Removes a used ephemeral container without holding up whoever waits for the job: its claude
   * has exited, so nothing of the job is left running in it but what it started and left behind,
   * which the removal ends too. settled() waits for it (not for a helper's, with removeInHelper);
   * a failure is left to the orphan clean-up.
   */
  retire(id: string): void {
    if (this.retiring.has(id)) return;
    if (this.inHelper && removeInHelper(id)) {
      this.onHandedOff?.(id);
      return;
    }
    this.retiring.add(id);
    const removal = this.removeContainer(id)
      .catch(() => undefined)
      .finally(() => {
        this.retiring.delete(id);
        this.removals.delete(removal);
      });
    this.removals.add(removal);
  }

  /** Resolves once every container retire() was given is gone. */
  async settled(): Promise<void> {
    while (this.removals.size > 0) await Promise.all(this.removals);
  }

  /** Removes a job's ephemeral containers. Persistent ones outlive their first job by design. */
  async removeJobContainers(fleet: string, jobId: string): Promise<string[]> {
    const containers = await this.list({ [LABEL.fleet]: fleet, [LABEL.job]: jobId });
    const doomed = containers.filter((c) => c.ephemeral);
    for (const c of doomed) await this.removeContainer(c.id);
    return doomed.map((c) => c.id);
  }

  async listFleetContainers(fleet: string): Promise<ContainerSummary[]> {
    return this.list({ [LABEL.fleet]: fleet });
  }

  /**
   * Start-up cleanup: ephemeral containers whose job is not running belong to a herdctl that
   * died. Persistent containers are kept; they carry no job state of their own.
   */
  async cleanupOrphans(fleet: string, liveJobIds: Set<string>): Promise<string[]> {
    const containers = await this.list({ [LABEL.fleet]: fleet });
    const orphans = containers.filter((c) => c.ephemeral && !liveJobIds.has(c.jobId));
    for (const c of orphans) await this.removeContainer(c.id);
    return orphans.map((c) => c.id);
  }

  /** Removes the fleet's ephemeral containers of these jobs (a PostgreSQL daemon's own crashed jobs). */
  async removeEphemeralOf(fleet: string, jobIds: ReadonlySet<string>): Promise<string[]> {
    if (jobIds.size === 0) return [];
    const containers = await this.list({ [LABEL.fleet]: fleet });
    const theirs = containers.filter((c) => c.ephemeral && jobIds.has(c.jobId));
    for (const c of theirs) await this.removeContainer(c.id);
    return theirs.map((c) => c.id);
  }

  private async list(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const filters = { label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) };
    const found = await this.call("list containers", () =>
      this.docker.listContainers({ all: true, filters }),
    );
    return found.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? "").replace(/^\//, ""),
      fleet: c.Labels[LABEL.fleet] ?? "",
      agent: c.Labels[LABEL.agent] ?? "",
      jobId: c.Labels[LABEL.job] ?? "",
      ephemeral: c.Labels[LABEL.ephemeral] !== "false",
      warm: c.Labels[LABEL.warm] === "true",
      configHash: c.Labels[LABEL.configHash] ?? "",
      state: c.State,
    }));
  }
}
