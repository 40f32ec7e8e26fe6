/** Reading and setting an agent's notes by hand: the CLI, the control socket and the dashboard share it. */
import type { ResolvedAgent } from "../config/index.js";
import type { MemoryVersion, StateManager } from "../state/index.js";
import { MEMORY_FILE } from "./file.js";
import { memorySettings } from "./job-memory.js";

export type MemoryErrorCode = "MEMORY_OFF" | "MEMORY_TOO_BIG" | "MEMORY_VERSION_NOT_FOUND";

export class MemoryError extends Error {
  constructor(
    readonly code: MemoryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "MemoryError";
  }
}

/** A version without its text, for lists. */
export type MemoryVersionSummary = Omit<MemoryVersion, "content">;

export interface MemoryView {
  readonly agent: string;
  readonly enabled: boolean;
  readonly maxBytes: number | null;
  readonly file: string;
  readonly current: MemoryVersion | null;
  readonly versions: MemoryVersionSummary[];
}

export function memoryView(state: StateManager, agent: ResolvedAgent): MemoryView {
  const settings = memorySettings(agent);
  return {
    agent: agent.name,
    enabled: settings !== undefined,
    maxBytes: settings?.maxBytes ?? null,
    file: MEMORY_FILE,
    current: state.memory.current(agent.name) ?? null,
    versions: state.memory.versions(agent.name).map(({ content: _, ...summary }) => summary),
  };
}

export function memoryVersion(state: StateManager, agent: string, version: number): MemoryVersion {
  const found = state.memory.get(agent, version);
  if (!found) {
    const latest = state.memory.current(agent)?.version;
    throw new MemoryError(
      "MEMORY_VERSION_NOT_FOUND",
      latest === undefined
        ? `agent ${agent} has no stored notes yet`
        : `agent ${agent} has no notes version ${version}; versions run from 1 to ${latest}`,
    );
  }
  return found;
}

/**
 * Stores a person's edit as the next version. Unlike a job's notes, an edit over the cap is refused,
 * not cut: the person is there to shorten it.
 */
export function editMemory(
  state: StateManager,
  agent: ResolvedAgent,
  content: string,
  actor: string | null,
): MemoryVersion {
  const settings = memorySettings(agent);
  if (!settings)
    throw new MemoryError(
      "MEMORY_OFF",
      `agent ${agent.name} does not keep memory; set memory: true in its file to give it notes`,
    );
  const bytes = Buffer.byteLength(content);
  if (bytes > settings.maxBytes)
    throw new MemoryError(
      "MEMORY_TOO_BIG",
      `the notes are ${bytes} bytes; agent ${agent.name} keeps at most ${settings.maxBytes} (memory.max_bytes): shorten them or raise the cap`,
    );
  return state.memory.save(agent.name, { content, source: "edit", actor });
}
