import { editDistance } from "../util/nearest.js";
/** One problem (or warning) found in a configuration file, pinned to where the user can fix it. */
export interface ConfigIssue {
  /** Path of the file, relative to the root fleet file's folder (forward slashes). */
  file: string;
  /** 1-based; 0 when the problem concerns the file as a whole (e.g. it does not exist). */
  line: number;
  col: number;
  /** Key path inside that file, e.g. `schedules.poll.interval` or `agents[0].path`; "" for the file. */
  path: string;
  message: string;
  hint?: string;
  /** Set when the problem is this environment variable being unset (the value is unchecked until it is). */
  unsetVariable?: string;
}

/** Where an issue points: `file:line:col`, or the file and key path when there is no line (an object). */
export function issuePlace(issue: ConfigIssue): string {
  if (issue.line > 0) return `${issue.file}:${issue.line}:${issue.col}`;
  return issue.path ? `${issue.file} ${issue.path}` : issue.file;
}

/** One issue as the CLI prints it: `file:line:col key.path: message`, then its hint. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.col}` : issue.file;
  const head = issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
  return issue.hint ? `${head}\n    hint: ${issue.hint}` : head;
}

/** Every problem found while loading a fleet, reported together so one edit-run cycle fixes them all. */
export class ConfigError extends Error {
  readonly code = "CONFIG_INVALID" as const;

  constructor(readonly issues: ConfigIssue[]) {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    super(
      `Invalid herdctl configuration (${count}); fix these and run again:\n` +
        issues.map((issue) => `  ${formatIssue(issue)}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** The closest candidate, if it is close enough that suggesting it is more help than noise. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}
