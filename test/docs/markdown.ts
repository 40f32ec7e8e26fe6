import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, for paths the doc tests report. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** README.md, docs/*.md and every examples/**\/README.md: the documents users read. */
export function documentedFiles(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => join(ROOT, "docs", f));
  return [join(ROOT, "README.md"), ...docs, ...examplesReadmes(join(ROOT, "examples"))].sort();
}

function examplesReadmes(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...examplesReadmes(path));
    else if (entry === "README.md") found.push(path);
  }
  return found;
}

export const rel = (path: string): string => relative(ROOT, path);

export interface MarkdownLine {
  /** 1-based. */
  readonly number: number;
  readonly text: string;
}

/** The lines outside fenced code blocks, where headings and links mean something. */
export function proseLines(markdown: string): MarkdownLine[] {
  const lines: MarkdownLine[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
      return;
    }
    if (fence === undefined) lines.push({ number: i + 1, text });
  });
  return lines;
}

/**
 * The anchors GitHub gives a document's headings: lower-cased, punctuation dropped, spaces turned
 * into hyphens, repeats numbered -1, -2, … (github-slugger's rules), plus explicit `<a id>`s.
 */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

function slug(heading: string): string {
  const plain = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .toLowerCase();
  return plain.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

export interface Link {
  readonly line: number;
  readonly column: number;
  readonly target: string;
}

/** Inline links and images, and reference definitions, outside code. */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { number, text } of proseLines(markdown)) {
    // Blank out inline code so `[a](b)` inside backticks is not taken for a link.
    const prose = text.replace(/`+[^`]*`+/g, (code) => " ".repeat(code.length));
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ line: number, column: m.index + 3, target: m[1]! });
    }
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(prose);
    if (definition)
      links.push({ line: number, column: prose.indexOf(definition[1]!) + 1, target: definition[1]! });
  }
  return links;
}

export const readText = (path: string): string => readFileSync(path, "utf8");

export interface FencedBlock {
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly text: string;
}

/**
 * The fenced code blocks tagged `lang` (```yaml …```), with the line each opens on. A fence indented
 * inside a list item has that indent taken off its lines, as Markdown renders (and users copy) them.
 */
export function fencedBlocks(markdown: string, lang: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  let open: { fence: string; indent: number; line: number; lang: string; body: string[] } | undefined;
  markdown.split("\n").forEach((text, i) => {
    const m = /^(\s*)(`{3,}|~{3,})\s*(\S*)/.exec(text);
    if (open === undefined) {
      if (m) open = { fence: m[2]!, indent: m[1]!.length, line: i + 1, lang: m[3]!, body: [] };
      return;
    }
    if (m && m[2]!.startsWith(open.fence) && m[3] === "") {
      if (open.lang === lang) blocks.push({ line: open.line, text: `${open.body.join("\n")}\n` });
      open = undefined;
      return;
    }
    const indent = /^ */.exec(text)![0].length;
    open.body.push(text.slice(Math.min(indent, open.indent)));
  });
  return blocks;
}
