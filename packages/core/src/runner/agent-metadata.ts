import { lstat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import type { Redactor } from "../secrets/redactor.js";
import type { AgentMetadata } from "../state/job-record.js";
import { isWithin, openAgentWrittenFile } from "../util/agent-written-file.js";

/** The reference herdctl's default name, so its agents' prompts keep working unchanged. */
export const DEFAULT_METADATA_FILE = "metadata.json";
export const METADATA_MAX_BYTES = 64 * 1024;
/** Deeper nesting is refused: each level costs stack in every consumer that walks it. */
export const METADATA_MAX_DEPTH = 16;

/** Which file to read for an agent, or undefined when it neither names one nor has hooks. */
export function metadataFileFor(agent: {
  readonly metadata_file?: string;
  readonly hooks?: { readonly after_run?: readonly unknown[]; readonly on_error?: readonly unknown[] };
}): string | undefined {
  if (agent.metadata_file !== undefined) return agent.metadata_file;
  // The reference reads metadata.json for every agent with hooks; so do we, for `when: metadata.x`.
  const hooks = (agent.hooks?.after_run?.length ?? 0) + (agent.hooks?.on_error?.length ?? 0);
  return hooks > 0 ? DEFAULT_METADATA_FILE : undefined;
}

/** What the file was when the job started: a stale file is one that is still exactly this. */
export interface MetadataBaseline {
  readonly identity: string | null;
}

export type MetadataRead =
  | { readonly kind: "absent" }
  | { readonly kind: "stale" }
  | { readonly kind: "read"; readonly metadata: AgentMetadata }
  | { readonly kind: "refused"; readonly reason: string };

/** How a metadata outcome reads in the job's output; undefined when there is nothing to say. */
export function describeMetadataRead(file: string, read: MetadataRead): string | undefined {
  if (read.kind === "stale")
    return `metadata file ${file} was not written during this job; it is from an earlier run and was ignored`;
  if (read.kind === "refused") return `metadata file ${file} ignored: ${read.reason}`;
  return undefined;
}

/** Records the file's identity before the job runs. Never throws. */
export async function metadataBaseline(workingDirectory: string, file: string): Promise<MetadataBaseline> {
  const path = insidePath(workingDirectory, file);
  if (path === undefined) return { identity: null };
  const stats = await lstat(path, { bigint: true }).catch(() => undefined);
  return { identity: stats ? identityOf(stats) : null };
}

/**
 * Reads the metadata file after the run. ctime changes on every write and cannot be set by the
 * writer, so comparing identities (not timestamps against the job's start) is immune to clocks
 * and to `touch -d`.
 */
export async function readAgentMetadata(
  workingDirectory: string,
  file: string,
  baseline: MetadataBaseline,
  redactor?: Redactor,
): Promise<MetadataRead> {
  const path = insidePath(workingDirectory, file);
  if (path === undefined) return refused("its path leaves the working directory");
  const opened = await openAgentWrittenFile(workingDirectory, path);
  if (opened.kind !== "open") return opened;
  const { handle, stats } = opened;
  try {
    if (identityOf(stats) === baseline.identity) return { kind: "stale" };
    if (stats.size > BigInt(METADATA_MAX_BYTES)) return refused(tooBig(stats.size));
    const buffer = Buffer.alloc(METADATA_MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    // The file may have grown since fstat.
    if (bytesRead > METADATA_MAX_BYTES) return refused(tooBig(BigInt(bytesRead)));
    let parsed: unknown;
    try {
      parsed = JSON.parse(buffer.subarray(0, bytesRead).toString("utf8"));
    } catch {
      // JSON.parse's message quotes the text, which may hold a secret: say only what is wrong.
      return refused("it is not valid JSON");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      return refused(`it holds ${describeJson(parsed)}, not a JSON object`);
    if (depthOf(parsed) > METADATA_MAX_DEPTH)
      return refused(`it is nested deeper than ${METADATA_MAX_DEPTH} levels`);
    return { kind: "read", metadata: redactAll(parsed, redactor) as AgentMetadata };
  } catch (error) {
    return refused(`it could not be read (${(error as NodeJS.ErrnoException).code ?? "unknown error"})`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function refused(reason: string): MetadataRead {
  return { kind: "refused", reason };
}

function tooBig(size: bigint): string {
  return `it is ${size} bytes; the limit is ${METADATA_MAX_BYTES} bytes`;
}

function insidePath(workingDirectory: string, file: string): string | undefined {
  if (isAbsolute(file)) return undefined;
  const path = join(workingDirectory, file);
  return isWithin(workingDirectory, path) ? path : undefined;
}

function identityOf(stats: {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Iterative, so a hostile nesting cannot overflow the stack while being measured. */
function depthOf(root: object): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    max = Math.max(max, depth);
    if (max > METADATA_MAX_DEPTH) return max;
    for (const inner of Object.values(value)) stack.push([inner, depth + 1]);
  }
  return max;
}

/** Keys too: an agent may as well write a secret as a key as as a value. */
function redactAll(value: unknown, redactor: Redactor | undefined): unknown {
  if (!redactor) return value;
  if (typeof value === "string") return redactor.redact(value);
  if (Array.isArray(value)) return value.map((v) => redactAll(v, redactor));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      // defineProperty, so a "__proto__" key stays data and never becomes a prototype.
      Object.defineProperty(out, redactor.redact(key), {
        value: redactAll(inner, redactor),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}
