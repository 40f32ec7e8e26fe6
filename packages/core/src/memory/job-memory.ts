/**
 * Memory around one job: before it, the agent's current notes go into its working directory and
 * its system prompt; after it, what the agent left in the file is stored as the next version
 * (redacted, capped). Problems become notices in the job's output, never the job's failure.
 */
import type { ResolvedAgent } from "../config/index.js";
import { MEMORY_DEFAULT_MAX_BYTES } from "../config/memory-limits.js";
import type { Redactor } from "../secrets/redactor.js";
import type { StateManager } from "../state/index.js";
import { MEMORY_FILE, readMemoryFile, writeMemoryFile } from "./file.js";
import { capNotes, capNotice } from "./notes.js";
import { memorySection, withMemoryPrompt } from "./prompt.js";

export interface MemorySettings {
  readonly maxBytes: number;
}

/** The agent's memory settings, or undefined when memory is off. */
export function memorySettings(agent: Pick<ResolvedAgent, "memory">): MemorySettings | undefined {
  const memory = agent.memory;
  if (!memory?.enabled) return undefined;
  return { maxBytes: memory.max_bytes ?? MEMORY_DEFAULT_MAX_BYTES };
}

export class JobMemory {
  private written: string | undefined;

  private constructor(
    private readonly agent: ResolvedAgent,
    private readonly settings: MemorySettings,
    private readonly deps: { state: StateManager; redactor: Redactor; notice: (text: string) => void },
    /** Chat turns see the notes but do not store changes (see docs/agents.md, Memory). */
    private readonly writeBack: boolean,
  ) {}

  static for(
    agent: ResolvedAgent,
    deps: { state: StateManager; redactor: Redactor; notice: (text: string) => void },
    options: { writeBack: boolean },
  ): JobMemory | undefined {
    const settings = memorySettings(agent);
    return settings && new JobMemory(agent, settings, deps, options.writeBack);
  }

  /** Writes the notes where the job can edit them; returns the agent the runtime should run. */
  async prepare(): Promise<ResolvedAgent> {
    const notes = this.deps.state.memory.current(this.agent.name)?.content ?? "";
    if (this.writeBack) {
      try {
        await writeMemoryFile(this.agent.working_directory, notes);
        this.written = notes;
      } catch (error) {
        this.deps.notice(
          `memory: could not write ${MEMORY_FILE} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); the notes are in the system prompt, but changes this job makes will not be kept`,
        );
      }
    }
    const section = memorySection(notes, {
      maxBytes: this.settings.maxBytes,
      writable: this.written !== undefined,
    });
    return withMemoryPrompt(this.agent, section);
  }

  /** Stores what the job left in the file when it changed. */
  async collect(jobId: string): Promise<void> {
    if (this.written === undefined) return;
    const read = await readMemoryFile(this.agent.working_directory);
    if (read.kind === "absent") {
      this.deps.notice(`memory: ${MEMORY_FILE} was removed during the job; the notes are unchanged`);
      return;
    }
    if (read.kind === "refused") {
      this.deps.notice(`memory: ${MEMORY_FILE} ignored: ${read.reason}; the notes are unchanged`);
      return;
    }
    if (read.content === this.written) return;
    // The notes go into every later system prompt and the dashboard: no secret may ride along.
    const redacted = this.deps.redactor.redact(read.content);
    const capped = capNotes(redacted, this.settings.maxBytes);
    if (capped.truncatedFrom !== undefined)
      this.deps.notice(capNotice(MEMORY_FILE, this.settings.maxBytes, capped.truncatedFrom));
    const stored = this.deps.state.memory.save(this.agent.name, {
      content: capped.content,
      truncatedFrom: capped.truncatedFrom ?? null,
      source: "job",
      jobId,
    });
    this.deps.notice(`memory: stored version ${stored.version} of the notes (${stored.bytes} bytes)`);
  }
}
