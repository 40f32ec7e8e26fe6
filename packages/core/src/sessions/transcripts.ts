import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { isSessionId } from "../state/index.js";

/**
 * Where claude keeps a working directory's conversations: `<config dir>/projects/<slug>/<id>.jsonl`.
 * The slug is the directory with every character other than an ASCII letter or digit replaced by
 * "-" (checked against the real claude, see test/sessions/transcripts.test.ts). A slug longer
 * than 200 characters is cut there and claude appends "-" and a hash of its own, which we do not
 * recompute: such folders are found by their 200-character prefix.
 */
const SLUG_LIMIT = 200;

/** How much of a transcript is read to find its first prompt (prompts sit near the top). */
const HEAD_BYTES = 256 * 1024;
const PROMPT_PREVIEW = 120;

export interface TranscriptInfo {
  readonly sessionId: string;
  readonly path: string;
  readonly modifiedAt: string;
  readonly bytes: number;
  /** The conversation's first prompt, shortened; null when none could be read. */
  readonly firstPrompt: string | null;
}

/** claude's config directory for an environment: CLAUDE_CONFIG_DIR, else ~/.claude. */
export function claudeConfigDir(env: Record<string, string | undefined>): string {
  if (env.CLAUDE_CONFIG_DIR) return env.CLAUDE_CONFIG_DIR;
  return join(env.HOME || homedir(), ".claude");
}

export function projectSlug(cwd: string): string {
  // Per UTF-16 code unit, as claude does it: "ü" is one "-", an emoji two.
  return cwd.replace(/[^a-zA-Z0-9]/g, "-");
}

/** The directory as claude sees it from inside: its real path (claude's cwd has symlinks resolved). */
export function realCwd(cwd: string): string {
  try {
    return realpathSync(cwd);
  } catch {
    return cwd;
  }
}

/** The project folders that may hold `cwd`'s transcripts (one, or several for a very long path). */
export function projectDirs(configDir: string, cwd: string): string[] {
  const projects = join(configDir, "projects");
  const slug = projectSlug(cwd);
  if (slug.length <= SLUG_LIMIT) return [join(projects, slug)];
  const prefix = `${slug.slice(0, SLUG_LIMIT)}-`;
  let names: string[];
  try {
    names = readdirSync(projects);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix)).map((n) => join(projects, n));
}

/**
 * The transcript of `sessionId` in `cwd`'s project folder, if it is there as a regular file. A
 * symlink is not followed: copying one (Docker adoption) could hand a container any file we can read.
 */
export function findTranscript(configDir: string, cwd: string, sessionId: string): string | undefined {
  if (!isSessionId(sessionId)) return undefined;
  for (const dir of projectDirs(configDir, cwd)) {
    const path = join(dir, `${sessionId}.jsonl`);
    try {
      if (lstatSync(path).isFile()) return path;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** Every conversation claude recorded for `cwd`, newest first. */
export function listTranscripts(configDir: string, cwd: string): TranscriptInfo[] {
  const found: TranscriptInfo[] = [];
  for (const dir of projectDirs(configDir, cwd)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const sessionId = name.endsWith(".jsonl") ? name.slice(0, -".jsonl".length) : "";
      if (!isSessionId(sessionId)) continue;
      const path = join(dir, name);
      const info = describe(path, sessionId);
      if (info) found.push(info);
    }
  }
  return found.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
}

function describe(path: string, sessionId: string): TranscriptInfo | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    const head = Buffer.alloc(Math.min(HEAD_BYTES, stat.size));
    const read = readSync(fd, head, 0, head.length, 0);
    return {
      sessionId,
      path,
      modifiedAt: stat.mtime.toISOString(),
      bytes: stat.size,
      firstPrompt: firstPrompt(head.subarray(0, read).toString("utf8")),
    };
  } finally {
    closeSync(fd);
  }
}

/** The first user prompt in a transcript's text; whatever the file holds, never throws. */
export function firstPrompt(text: string): string | null {
  for (const line of text.split("\n")) {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const content = userContent(entry);
    if (content === undefined) continue;
    const oneLine = content.replace(/\s+/g, " ").trim();
    if (oneLine === "") continue;
    return oneLine.length > PROMPT_PREVIEW ? `${oneLine.slice(0, PROMPT_PREVIEW - 1)}…` : oneLine;
  }
  return null;
}

function userContent(entry: unknown): string | undefined {
  if (typeof entry !== "object" || entry === null) return undefined;
  const { type, message, isMeta } = entry as { type?: unknown; message?: unknown; isMeta?: unknown };
  if (type !== "user" || isMeta === true || typeof message !== "object" || message === null) return undefined;
  const content = (message as { content?: unknown }).content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content
    .filter((b): b is { type: "text"; text: string } => b?.type === "text" && typeof b.text === "string")
    .map((b) => b.text);
  return texts.length > 0 ? texts.join(" ") : undefined;
}
