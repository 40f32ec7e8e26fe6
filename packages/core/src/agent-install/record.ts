import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AgentInstallError } from "./errors.js";

/** Beside agent.yaml, read-only to jobs like it (see config/load.ts protectedPaths). */
export const SOURCE_RECORD = ".herdctl-source.json";

/** Where an installed agent came from. */
export interface SourceRecord {
  /** The source as the user gave it, minus credentials, minus the `#ref`. */
  source: string;
  ref: string | null;
  commit: string;
  /** The folder inside the repository (`--path`), or null for its root. */
  path: string | null;
  /** The name in the repository's agent.yaml, when `--name` changed it. */
  originalName: string | null;
  installedAt: string;
}

export async function writeSourceRecord(dir: string, record: SourceRecord): Promise<void> {
  await writeFile(join(dir, SOURCE_RECORD), `${JSON.stringify(record, null, 2)}\n`, {
    flag: "wx",
    mode: 0o644,
  });
}

/** The record in an agent folder; undefined when the agent was not installed by `agent add`. */
export async function readSourceRecord(dir: string): Promise<SourceRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, SOURCE_RECORD), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const data = JSON.parse(text) as SourceRecord;
    if (typeof data.source === "string" && typeof data.commit === "string") return data;
  } catch {}
  throw new AgentInstallError(
    "AGENT_RECORD_UNREADABLE",
    `${join(dir, SOURCE_RECORD)} is not a herdctl source record; restore it, or delete it to treat the agent as hand-made`,
  );
}
