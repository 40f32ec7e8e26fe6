import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseDocument } from "yaml";
import { loadFleet } from "../../packages/core/src/config/index.js";
import { AgentSchema, FleetSchema } from "../../packages/core/src/config/schema.js";
import { documentedFiles, fencedBlocks, readText, rel } from "./markdown.js";

/**
 * Every ```yaml block of README.md, docs/*.md and the examples' READMEs is what a user copies into
 * a fleet or agent file, so each one is loaded through the real loader (loadFleet) in a temp folder
 * and must load, without warnings.
 */

/**
 * Blocks that are YAML but not herdctl config (a compose file, a GitHub workflow), each named by
 * file and a line only it has, with the reason. None today; an unlisted one fails as a fragment with
 * unknown keys, and an entry that no longer matches a block fails the first test.
 */
const NOT_CONFIG: readonly { file: string; line: string; why: string }[] = [];

/** Blocks written to show an error, with the message the doc beside them promises. None today. */
const MEANT_TO_FAIL: readonly { file: string; line: string; error: string }[] = [];

/**
 * Blocks that load with a warning when copied into an agent file as they stand, because the doc
 * beside them says they belong elsewhere for some agents; every other block must load silently.
 */
const MEANT_TO_WARN: readonly { file: string; line: string; warning: string }[] = [
  // A gate runs commands: in an agent file only for a Docker agent or one allowed unrestricted Bash
  // (said above the blocks); the examples show the agent-file form.
  {
    file: "docs/agents.md",
    line: "gh issue list --repo acme/shop",
    warning: "this gate is in the agent file",
  },
  { file: "docs/agents.md", line: "curl -fsS", warning: "this gate is in the agent file" },
];

const AGENT_KEYS = new Set(Object.keys(AgentSchema.shape));
const FLEET_ONLY_KEYS = new Set(Object.keys(FleetSchema.shape).filter((k) => !AGENT_KEYS.has(k)));

type Kind = "fleet" | "agent";

/** One file of a block: blocks may show a fleet file and an agent file under `# <file>` headers. */
interface Part {
  kind: Kind;
  /** The file the header names (relative to the fleet folder), when it names one. */
  file?: string;
  text: string;
}

/** `# herdctl.yaml …`, `# agents/x.yaml …` or `# an agent file …` at column 0 start a new file. */
const HEADER = /^#\s+(herdctl\.yaml|agents\/[\w.-]+\.ya?ml|an agent file)\b/;

function partsOf(block: string): Part[] {
  const parts: { header?: string; lines: string[] }[] = [{ lines: [] }];
  for (const line of block.split("\n")) {
    const header = HEADER.exec(line)?.[1];
    if (header !== undefined) {
      if (parts.at(-1)!.lines.some((l) => l.trim() !== "" && !l.startsWith("#"))) parts.push({ lines: [] });
      parts.at(-1)!.header = header;
    }
    parts.at(-1)!.lines.push(line);
  }
  return parts.map(({ header, lines }) => {
    const text = `${lines.join("\n")}\n`;
    if (header === "herdctl.yaml") return { kind: "fleet", text };
    if (header?.startsWith("agents/")) return { kind: "agent", file: header, text };
    if (header !== undefined) return { kind: "agent", text };
    const keys = [...text.matchAll(/^([A-Za-z_][\w-]*):/gm)].map((m) => m[1]!);
    const fleet = keys.some((k) => FLEET_ONLY_KEYS.has(k)) && !keys.includes("name");
    return { kind: fleet ? "fleet" : "agent", text };
  });
}

/** Every `${VAR}` and every `*_env: VAR` a block names, each given a value of the kind it holds. */
function envFor(block: string): Record<string, string> {
  const names = new Set<string>();
  for (const m of block.matchAll(/\$\{([A-Za-z_]\w*)/g)) names.add(m[1]!);
  for (const m of block.matchAll(/_env:\s*([A-Za-z_]\w*)/g)) names.add(m[1]!);
  const env: Record<string, string> = {};
  for (const name of names) {
    if (name === "DATABASE_URL") env[name] = "postgres://herd:pw@127.0.0.1:5432/herd";
    else if (name.endsWith("URL")) env[name] = "http://127.0.0.1:9/hook";
    else if (name.endsWith("PORT")) env[name] = "3232";
    else if (name.endsWith("NETWORK")) env[name] = "host";
    else env[name] = `${name.toLowerCase()}-value`;
  }
  return env;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** The `path`s a fleet file lists under `key` (agents, fleets). */
function pathsUnder(text: string, key: string): string[] {
  const value = parseDocument(text).toJS() as Record<string, unknown> | null;
  const list = value?.[key];
  if (!Array.isArray(list)) return [];
  return list
    .map((e) => (typeof e === "string" ? e : (e as { path?: unknown })?.path))
    .filter((p) => typeof p === "string");
}

function pluginsOf(text: string): string[] {
  const value = parseDocument(text).toJS() as { plugins?: unknown; defaults?: { plugins?: unknown } } | null;
  return [value?.plugins, value?.defaults?.plugins]
    .flatMap((list) => (Array.isArray(list) ? list : []))
    .map((e) => (typeof e === "string" ? e : (e as { path?: unknown })?.path))
    .filter((p): p is string => typeof p === "string");
}

/**
 * Lays out a fleet folder for a block: its fleet part as herdctl.yaml (or a minimal one), its agent
 * parts as agent files (a fragment gets `name: x`), and minimal stubs for every agent file,
 * sub-fleet and plugin folder the snippet names but does not show (a working directory need not
 * exist to load).
 */
function layOut(dir: string, home: string, parts: Part[]): void {
  const fleetPart = parts.find((p) => p.kind === "fleet");
  let fleetText = fleetPart?.text ?? "version: 1\n";
  const agentParts = parts.filter((p) => p.kind === "agent");
  const agentFiles = agentParts.map((p, i) => {
    const name = /^name:\s*([\w-]+)/m.exec(p.text)?.[1];
    const file = p.file ?? `agents/${name ?? `x${i}`}.yaml`;
    const text = name === undefined ? `name: ${basename(file).replace(/\.ya?ml$/, "")}\n${p.text}` : p.text;
    write(join(dir, file), text);
    return file;
  });
  const listed = pathsUnder(fleetText, "agents");
  if (listed.length === 0) {
    const files = agentFiles.length > 0 ? agentFiles : ["agents/x.yaml"];
    if (agentFiles.length === 0) write(join(dir, "agents/x.yaml"), "name: x\n");
    fleetText += `agents:\n${files.map((f) => `  - path: ./${f}\n`).join("")}`;
  }
  for (const path of listed) {
    const file = join(dir, path);
    if (!agentFiles.some((f) => join(dir, f) === file))
      write(file, `name: ${basename(path).replace(/\.ya?ml$/, "")}\n`);
  }
  for (const path of pathsUnder(fleetText, "fleets")) write(join(dir, path), "version: 1\n");
  write(join(dir, "herdctl.yaml"), fleetText);
  for (const [file, text] of [
    ["herdctl.yaml", fleetText],
    ...agentFiles.map((f) => [f, readText(join(dir, f))]),
  ] as const) {
    for (const plugin of pluginsOf(text)) {
      const folder = plugin.startsWith("~/") ? join(home, plugin.slice(2)) : join(dir, dirname(file), plugin);
      write(join(folder, ".claude-plugin", "plugin.json"), JSON.stringify({ name: basename(folder) }));
    }
  }
}

interface Snippet {
  where: string;
  doc: string;
  text: string;
}

const snippets: Snippet[] = documentedFiles().flatMap((path) =>
  fencedBlocks(readText(path), "yaml").map((b) => ({
    where: `${rel(path)}:${b.line}`,
    doc: rel(path),
    text: b.text,
  })),
);

const matches = (s: Snippet, entry: { file: string; line: string }): boolean =>
  s.doc === entry.file && s.text.includes(entry.line);

const work = mkdtempSync(join(tmpdir(), "herdctl-doc-yaml-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("YAML examples in the docs load through loadFleet", () => {
  it("finds the blocks, and every allow-list entry still names one", () => {
    expect(snippets.length).toBeGreaterThan(25);
    for (const entry of [...NOT_CONFIG, ...MEANT_TO_FAIL, ...MEANT_TO_WARN])
      expect(
        snippets.some((s) => matches(s, entry)),
        `${entry.file}: ${entry.line}`,
      ).toBe(true);
  });

  for (const [i, snippet] of snippets.entries()) {
    const notConfig = NOT_CONFIG.find((e) => matches(snippet, e));
    if (notConfig) {
      // Listed, so it shows in the run instead of vanishing; it must still be valid YAML.
      it(`${snippet.where} (not herdctl config: ${notConfig.why})`, () => {
        expect(parseDocument(snippet.text).errors.map((e) => e.message)).toEqual([]);
      });
      continue;
    }
    it(`${snippet.where}`, async () => {
      const dir = join(work, `s${i}`, "fleet");
      const home = join(work, `s${i}`, "home");
      mkdirSync(home, { recursive: true });
      // Plugin paths under ~/ resolve against os.homedir(), which reads HOME.
      vi.stubEnv("HOME", home);
      try {
        layOut(dir, home, partsOf(snippet.text));
        const load = loadFleet(dir, { env: { HOME: home, ...envFor(snippet.text) } });
        const meant = MEANT_TO_FAIL.find((e) => matches(snippet, e));
        if (meant) {
          await expect(load).rejects.toThrow(meant.error);
          return;
        }
        // The loader's own message names the file, line and key, so the failure shows what to fix.
        const loaded = await load.catch((error: Error) =>
          expect.fail(`${snippet.where} does not load:\n${error.message}`),
        );
        const warning = MEANT_TO_WARN.find((e) => matches(snippet, e))?.warning;
        const warnings = loaded.warnings.map((w) => `${w.file}:${w.line} ${w.path}: ${w.message}`);
        if (warning === undefined) expect(warnings, `${snippet.where} loads with warnings`).toEqual([]);
        else expect(warnings.join("\n")).toContain(warning);
      } finally {
        vi.unstubAllEnvs();
      }
    });
  }
});
