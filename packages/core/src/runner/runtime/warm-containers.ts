import { statSync } from "node:fs";
import { LABEL } from "./container-labels.js";
import type { ContainerCreateBody, ContainerManager, ContainerSpec } from "./container-manager.js";
import { makeRoom, WarmDemand } from "./warm-demand.js";

/** How many warm containers a fleet keeps, and how long one waits unused before it is removed. */
export interface WarmContainersOptions {
  max: number;
  idleMs: number;
}

export const DEFAULT_WARM_CONTAINERS: WarmContainersOptions = { max: 4, idleMs: 10 * 60_000 };

/** The herdctl.job label of a container no job has taken yet; orphan clean-up removes it. */
export const WARM_JOB_LABEL = "warm";

interface Warm {
  id: string;
  /** The container's herdctl.config-hash: image id, settings, mounts, shield, plugins, proxy socket. */
  hash: string;
  /** Which folders its bind mounts hold (see folderStamp). */
  stamp: string;
  timer: NodeJS.Timeout;
  /** For a container another part of the process created (adoptAhead): the create request it was made with. */
  body?: ContainerCreateBody;
}

/**
 * A bind mount holds the folder it was given, not its path: a workspace deleted and made again
 * (a fresh clone) would be the old, deleted folder inside a container created before.
 */
export function folderStamp(spec: Pick<ContainerSpec, "workingDirectory" | "claudeConfigDir">): string {
  return [spec.workingDirectory, spec.claudeConfigDir]
    .map((path) => {
      try {
        const st = statSync(path);
        return `${st.dev}:${st.ino}`;
      } catch {
        return "missing";
      }
    })
    .join("/");
}

/**
 * Ephemeral Docker containers created and started ahead of an agent's next job, so the job pays
 * for a `docker exec` only, not for a container's create and start. The same rules as warm
 * claudes (warm-claudes.ts): only for agents a person or webhook triggered within `idleMs`, only
 * once the agent has no job running or queued, at most `max`, removed after `idleMs` unused.
 *
 * A warm container holds nothing of any job: it is created from the spec of the agent's last
 * ephemeral job with no credential in it (those are given per exec, or as a proxy token per job,
 * when a job takes it), and a job takes it only when the container it would create is exactly
 * this one (the same config hash: image id, settings, limits, user, network, mounts) and its bind
 * mounts still hold the same folders. It is used by that one job and removed after it, like any
 * ephemeral container.
 */
export class WarmContainers {
  private readonly warm = new Map<string, Warm>();
  private readonly specs = new Map<string, ContainerSpec>();
  /** The hash of each agent's last ephemeral container, beside its spec. */
  private readonly hashes = new Map<string, string>();
  /** Containers being created ahead elsewhere in this process (adoptAhead), by agent. */
  private readonly pending = new Map<string, Promise<string | undefined>>();
  private readonly demand: WarmDemand;
  /** Creations under way, so close() waits for them instead of leaving a container behind. */
  private readonly starting = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly manager: ContainerManager,
    private readonly options: WarmContainersOptions = DEFAULT_WARM_CONTAINERS,
    now: () => number = Date.now,
  ) {
    this.demand = new WarmDemand(options.idleMs, now);
  }

  /** Called with each trigger: demand is what makes an agent worth keeping warm. */
  triggered(agent: string, triggerType: string): void {
    this.demand.triggered(agent, triggerType);
  }

  /** What the agent's last ephemeral container was made from, and its hash (called by the manager). */
  remember(spec: ContainerSpec, hash?: string): void {
    if (!spec.config.ephemeral) return;
    this.specs.set(spec.agent, { ...spec, jobId: WARM_JOB_LABEL });
    if (hash === undefined) this.hashes.delete(spec.agent);
    else this.hashes.set(spec.agent, hash);
  }

  /** Forgets the agent's container spec and removes its warm container: its config changed. */
  forget(agent: string): void {
    this.specs.delete(agent);
    this.discard(agent);
  }

  /**
   * Called by the manager, under the agent's lock, for a job about to create an ephemeral
   * container with `hash`: the agent's warm container leaves the pool, and `matches` says whether
   * it is that container (the manager removes it otherwise).
   */
  take(spec: ContainerSpec, hash: string): { id: string; matches: boolean } | undefined {
    const warm = this.warm.get(spec.agent);
    if (!warm) return undefined;
    this.warm.delete(spec.agent);
    clearTimeout(warm.timer);
    const matches =
      warm.hash === hash &&
      warm.stamp === folderStamp(spec) &&
      // Made from a request of its own: exactly the one this pool would have sent for this job.
      (warm.body === undefined ||
        sameRequest(
          warm.body,
          this.manager.createRequest({ ...spec, jobId: WARM_JOB_LABEL }, hash, true).body,
        ));
    return { id: warm.id, matches };
  }

  /** Resolves once a container being created ahead for the agent (adoptAhead) is in the pool, or failed. */
  async arrived(agent: string): Promise<void> {
    await this.pending.get(agent);
  }

  /**
   * Keeps a container that another part of this process is creating ahead (the CLI's first file,
   * from the launch cache) as the agent's warm container once `creation` gives its id: `body` is the
   * create request it was made with, `stamp` its folders then (folderStamp). A job takes it only
   * when `body` is exactly the request this pool would send for the job (take), so nothing in it is
   * trusted. Resolves with the id once kept, undefined when none was.
   */
  adoptAhead(
    agent: string,
    body: ContainerCreateBody,
    stamp: string,
    creation: Promise<string | undefined>,
  ): Promise<string | undefined> {
    const adopting = creation.then(
      (id) => {
        if (id === undefined) return undefined;
        if (this.closed || this.warm.has(agent)) {
          this.remove(id);
          return undefined;
        }
        const timer = setTimeout(() => this.discard(agent), this.options.idleMs);
        timer.unref();
        this.warm.set(agent, { id, hash: body.Labels[LABEL.configHash] ?? "", stamp, timer, body });
        return id;
      },
      () => undefined,
    );
    this.pending.set(agent, adopting);
    this.starting.add(adopting);
    void adopting.finally(() => {
      this.starting.delete(adopting);
      if (this.pending.get(agent) === adopting) this.pending.delete(agent);
    });
    return adopting;
  }

  /** Removes the agent's warm container, if any. */
  discard(agent: string): void {
    const warm = this.warm.get(agent);
    if (!warm) return;
    this.warm.delete(agent);
    clearTimeout(warm.timer);
    this.remove(warm.id);
  }

  /** What the agent's last ephemeral container was made from, and its hash, if this pool saw one. */
  last(agent: string): { spec: ContainerSpec; hash: string } | undefined {
    const spec = this.specs.get(agent);
    const hash = this.hashes.get(agent);
    return spec && hash !== undefined ? { spec, hash } : undefined;
  }

  /** The agent has no job running or queued: warm its next container if it was asked for recently. */
  idle(agent: string): void {
    if (this.closed || this.warm.has(agent)) return;
    const spec = this.specs.get(agent);
    if (!spec || !this.demand.recent(agent)) return;
    void this.warmUp(agent, spec);
  }

  /**
   * Creates the agent's next container from `spec` now, whatever the demand: an in-process
   * trigger's container started ahead from its launch cache (the spec is not trusted: a job takes
   * the container only when its own spec gives the same hash). Resolves with the container's id,
   * or undefined when none was made.
   */
  startAhead(spec: ContainerSpec): Promise<string | undefined> {
    if (this.closed || this.warm.has(spec.agent)) return Promise.resolve(undefined);
    this.specs.set(spec.agent, spec);
    return this.warmUp(spec.agent, spec);
  }

  private warmUp(agent: string, spec: ContainerSpec): Promise<string | undefined> {
    makeRoom(this.warm, this.options.max, (oldest) => this.discard(oldest));
    let made: string | undefined;
    const creating = this.manager
      .createWarm(spec, (id, hash) => {
        // Inside the agent's lock: a job that arrives meanwhile waits for it and finds it here.
        if (this.closed || this.warm.has(agent) || this.specs.get(agent) !== spec) return false;
        const timer = setTimeout(() => this.discard(agent), this.options.idleMs);
        timer.unref();
        this.warm.set(agent, { id, hash, stamp: folderStamp(spec), timer });
        made = id;
        return true;
      })
      // Nothing waits for a warm container: the agent's next job starts cold, as without one.
      .then(
        () => made,
        () => undefined,
      );
    this.starting.add(creating);
    void creating.finally(() => this.starting.delete(creating));
    return creating;
  }

  /** Ids of the warm containers, for status and for tests. */
  ids(): string[] {
    return [...this.warm.values()].map((w) => w.id);
  }

  /** Removes every warm container and makes no more; resolves once they are gone. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.starting);
    const all = [...this.warm.values()];
    this.warm.clear();
    for (const w of all) clearTimeout(w.timer);
    for (const w of all) this.manager.retire(w.id);
    await this.manager.settled();
  }

  private remove(id: string): void {
    // Off the job's path; a failure leaves it to the orphan clean-up at the next start.
    this.manager.retire(id);
  }
}

/** Two create requests as JSON: the same keys in any order, the same values. */
function sameRequest(a: unknown, b: unknown): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, sorted(v)]),
  );
}
