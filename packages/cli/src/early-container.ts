import { existsSync } from "node:fs";
import type { IncomingMessage, RequestOptions } from "node:http";
import { createRequire } from "node:module";
import { removeInHelper } from "@herdctl/core/internal/docker/removal-helper";
import { containerName } from "@herdctl/core/internal/runner/runtime/container-labels";
import type { ContainerCreateBody } from "@herdctl/core/internal/runner/runtime/container-manager";
import { folderStamp } from "@herdctl/core/internal/runner/runtime/warm-containers";
import { EARLY_CONTAINER } from "./early-settle.js";
import { type ContainerLaunch, cachedContainer } from "./launch-cache.js";

/**
 * A Docker agent's next ephemeral container, created and started by the CLI's first file
 * (early-start.ts) from the launch cache before the program loads, with the create request the
 * last job's container was made with, sent straight to the engine's socket (no Docker client
 * loads for it). The trigger hands it to its container pool (in-process-containers.ts), where the
 * job takes it only when that request is exactly the one the pool would send for the job
 * (warm-containers.ts): nothing in the file is trusted.
 */
export interface StartedContainer {
  agent: string;
  body: ContainerCreateBody;
  /** Its bind mounts' folders when it was created (folderStamp). */
  stamp: string;
  /** Its id once created and started; undefined when that failed. */
  creation: Promise<string | undefined>;
}

interface Kept extends StartedContainer {
  /** Settles once the start request is written to the engine, or the creation ended without one. */
  startSent: Promise<void>;
  stateDir: string;
  configPath: string;
  taken: boolean;
  id?: string;
}

type Holder = { [EARLY_CONTAINER]?: Kept };

/**
 * Starts the agent's container from the cache, when the cache holds one for it, every folder it
 * binds exists (the engine would create a missing one, as root) and the engine is on a local
 * socket. Kept for the trigger; removed (by the removal helper) if this process exits without the
 * trigger taking it.
 */
export function startContainerEarly(stateDir: string, configPath: string, agent: string): void {
  const launch = cachedContainer(stateDir, configPath, agent);
  const socket = engineSocket();
  if (!launch || socket === undefined || !bindSourcesExist(launch)) return;
  let sent = () => {};
  const kept: Kept = {
    agent,
    body: launch.body,
    stamp: folderStamp(launch.spec),
    creation: Promise.resolve(undefined),
    startSent: new Promise((resolve) => {
      sent = resolve;
    }),
    stateDir,
    configPath,
    taken: false,
  };
  kept.creation = createAndStart(socket, nameFor(launch), launch.body, sent).then((id) => {
    sent();
    kept.id = id;
    return id;
  });
  (globalThis as Holder)[EARLY_CONTAINER] = kept;
  process.once("exit", () => {
    if (!kept.taken && kept.id !== undefined) removeInHelper(kept.id);
  });
}

/**
 * The early container, when it was started for this fleet and agent; any other stays untaken and
 * is removed as the process exits (early-settle.ts waits for its creation first).
 */
export function takeEarlyContainer(
  stateDir: string,
  configPath: string,
  agent: string,
): StartedContainer | undefined {
  const kept = (globalThis as Holder)[EARLY_CONTAINER];
  if (!kept || kept.taken) return undefined;
  if (kept.stateDir !== stateDir || kept.configPath !== configPath || kept.agent !== agent) return undefined;
  kept.taken = true;
  return kept;
}

/** The engine's unix socket, as dockerode would find it; undefined for any other kind of engine address. */
function engineSocket(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === "") return "/var/run/docker.sock";
  return host.startsWith("unix://") ? host.slice("unix://".length) : undefined;
}

function bindSourcesExist({ body }: ContainerLaunch): boolean {
  const host = body.HostConfig as { Binds?: unknown; Mounts?: unknown } | undefined;
  const binds = Array.isArray(host?.Binds) ? host.Binds : [];
  const mounts = Array.isArray(host?.Mounts) ? host.Mounts : [];
  const sources = [
    ...binds.map((b) => (typeof b === "string" ? b.split(":")[0] : undefined)),
    ...mounts.map((m) =>
      (m as { Type?: unknown; Source?: unknown }).Type === "bind" ? (m as { Source?: unknown }).Source : "",
    ),
  ];
  return sources.every((source) => source === "" || (typeof source === "string" && existsSync(source)));
}

/** The manager's name for a container of this spec; the suffix without loading node:crypto. */
function nameFor({ spec }: ContainerLaunch): string {
  return containerName(spec.fleet, spec.agent, Math.random().toString(16).slice(2, 10).padEnd(8, "0"));
}

/**
 * POST /containers/create, then /start; the id, or undefined (a container that would not start is
 * removed). `startSent` is called once the start request is written.
 */
async function createAndStart(
  socket: string,
  name: string,
  body: ContainerCreateBody,
  startSent: () => void,
): Promise<string | undefined> {
  try {
    const created = await engine(socket, "POST", `/containers/create?name=${encodeURIComponent(name)}`, body);
    if (created.status !== 201) return undefined;
    const id = (JSON.parse(created.text) as { Id?: unknown }).Id;
    if (typeof id !== "string" || !/^[0-9a-f]{64}$/.test(id)) return undefined;
    const started = await engine(socket, "POST", `/containers/${id}/start`, undefined, startSent);
    if (started.status === 204 || started.status === 304) return id;
    await engine(socket, "DELETE", `/containers/${id}?force=1&v=1`).catch(() => undefined);
    return undefined;
  } catch {
    return undefined;
  }
}

function engine(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
  written?: () => void,
): Promise<{ status: number; text: string }> {
  // Loaded here: only a trigger of a Docker agent with a cached container needs it this early.
  const { request } = createRequire(import.meta.url)("node:http") as typeof import("node:http");
  return new Promise((resolve, reject) => {
    // `servername` is not in the http types, but the agent reads it: given one, it skips working
    // it out from the host, whose IP check compiles patterns (~8 ms in a CPU profile of this
    // file, before the create went out).
    const options: RequestOptions & { servername: string } = {
      socketPath,
      method,
      path,
      // No pooled connection: nothing of this may hold the process open.
      agent: false,
      servername: "",
      headers: body === undefined ? {} : { "content-type": "application/json" },
    };
    const req = request(options, (res: IncomingMessage) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (written) req.once("finish", written);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
