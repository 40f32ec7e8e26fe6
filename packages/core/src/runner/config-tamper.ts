import { realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { ResolvedAgent } from "../config/index.js";
import { CONTAINER_WORKSPACE } from "../docker/runtime-image.js";
import type { StateManager } from "../state/index.js";
import { printable } from "../util/printable.js";
import { type ConfigGuard, isFolder } from "./runtime/host-guard.js";
import type { RuntimeMessage } from "./runtime/interface.js";

/** The state event type of a job's attempt to touch the fleet's configuration or state. */
export const CONFIG_TAMPER = "security:config-tamper";

export interface ConfigTamper {
  id: number;
  at: string;
  jobId: string;
  tool: string;
  /** Host path the tool aimed at. */
  path: string;
}

const FILE_TOOLS: Record<string, "file_path" | "notebook_path"> = {
  Write: "file_path",
  Edit: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
  Read: "file_path",
};

// The path is the agent's text: it reaches the daemon log and terminals.
const PATH_MAX = 500;

function within(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Spots tool calls aimed at a protected file or herdctl's state. The mounts or deny rules already
 * refuse them; this says so where the operator looks (daemon log, job output, `herdctl status`),
 * because an agent trying to change its own sandbox is worth knowing about.
 */
export class TamperWatch {
  private readonly files: Set<string>;
  /** Protected folders (plugins): a write anywhere inside counts. */
  private readonly folders: string[];
  private readonly stateDirs: string[];

  constructor(
    private readonly agent: ResolvedAgent,
    guard: ConfigGuard,
  ) {
    const paths = guard.protectedPaths.flatMap((p) => [p, real(p)]);
    this.files = new Set(paths);
    this.folders = [...new Set(paths.filter(isFolder))];
    this.stateDirs = [...new Set([guard.stateDir, real(guard.stateDir)])];
  }

  /** The protected targets of the tool calls in one message: `[tool, host path]`. */
  check(message: RuntimeMessage): Array<{ tool: string; path: string }> {
    if (message.type !== "assistant") return [];
    const content = (message.message as { content?: unknown }).content;
    if (!Array.isArray(content)) return [];
    const hits: Array<{ tool: string; path: string }> = [];
    for (const block of content as Array<Record<string, unknown>>) {
      if (block.type !== "tool_use" || typeof block.name !== "string") continue;
      const key = Object.hasOwn(FILE_TOOLS, block.name) ? FILE_TOOLS[block.name] : undefined;
      const target = key ? (block.input as Record<string, unknown> | undefined)?.[key] : undefined;
      if (typeof target !== "string") continue;
      const path = this.hostPath(target);
      if (path && this.isProtected(path, block.name !== "Read"))
        hits.push({ tool: block.name, path: printable(path, PATH_MAX) });
    }
    return hits;
  }

  /** Where a path claude used lies on the host; in Docker only the workspace maps back. */
  private hostPath(path: string): string | undefined {
    if (!this.agent.docker?.enabled) return resolve(this.agent.working_directory, path);
    if (path !== CONTAINER_WORKSPACE && !path.startsWith(`${CONTAINER_WORKSPACE}/`)) return undefined;
    return resolve(this.agent.working_directory, `.${path.slice(CONTAINER_WORKSPACE.length)}`);
  }

  private isProtected(path: string, writes: boolean): boolean {
    const candidates = [path, real(path)];
    if (writes && candidates.some((p) => this.files.has(p))) return true;
    if (writes && candidates.some((p) => this.folders.some((dir) => within(dir, p)))) return true;
    return candidates.some((p) => this.stateDirs.some((dir) => within(dir, p)));
  }
}

export function recordConfigTamper(
  state: StateManager,
  agent: string,
  tamper: Omit<ConfigTamper, "id" | "at">,
): void {
  state.events.append({ type: CONFIG_TAMPER, agent, data: { ...tamper } });
}

/** The agent's most recent refused attempts on the fleet's configuration, newest first. */
export function recentConfigTampers(state: StateManager, agent: string, limit = 5): ConfigTamper[] {
  return state.events.list({ agent, type: CONFIG_TAMPER, limit }).map((event) => {
    const data = (event.data ?? {}) as Partial<ConfigTamper>;
    return {
      id: event.id,
      at: event.at,
      jobId: String(data.jobId ?? ""),
      tool: String(data.tool ?? ""),
      path: String(data.path ?? ""),
    };
  });
}
