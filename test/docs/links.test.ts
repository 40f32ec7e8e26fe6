import { existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { anchorsOf, documentedFiles, linksOf, readText, rel } from "./markdown.js";

const EXTERNAL = /^[a-z][a-z0-9+.-]*:/i;

/** Every problem with one document's relative links, as `file:line:col link: what is wrong`. */
function brokenLinks(file: string): string[] {
  const problems: string[] = [];
  for (const link of linksOf(readText(file))) {
    if (EXTERNAL.test(link.target)) continue;
    const [pathPart = "", anchor] = link.target.split("#", 2);
    const target = pathPart === "" ? file : resolve(dirname(file), decodeURIComponent(pathPart));
    const where = `${rel(file)}:${link.line}:${link.column} ${link.target}`;
    if (!existsSync(target)) {
      problems.push(`${where}: ${rel(target)} does not exist`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(target).isDirectory() || !target.endsWith(".md")) {
      problems.push(`${where}: #${anchor} points into ${rel(target)}, which is not a markdown file`);
    } else if (!anchorsOf(readText(target)).has(anchor)) {
      problems.push(`${where}: ${rel(target)} has no heading with the anchor #${anchor}`);
    }
  }
  return problems;
}

describe("documentation links", () => {
  it("finds the documents and their links", () => {
    const files = documentedFiles().map(rel);
    expect(files).toContain("README.md");
    expect(files).toContain("docs/getting-started.md");
    expect(files.some((f) => f.startsWith("examples/") && f.endsWith("/README.md"))).toBe(true);
    expect(documentedFiles().flatMap((f) => linksOf(readText(f))).length).toBeGreaterThan(10);
  });

  it.each(documentedFiles().map((f) => [rel(f), f]))(
    "%s: every relative link and #anchor resolves",
    (_, file) => {
      expect(brokenLinks(file)).toEqual([]);
    },
  );
});

describe("the link checker itself", () => {
  it("slugs headings the way GitHub does", () => {
    const anchors = anchorsOf(
      [
        "# Docker",
        "## Mounts and where sessions live",
        "## Fleet file (`herdctl.yaml`)",
        "## Docker",
        "```",
        "# not a heading",
        "```",
        '<a id="custom"></a>',
      ].join("\n"),
    );
    expect([...anchors].sort()).toEqual(
      ["custom", "docker", "docker-1", "fleet-file-herdctlyaml", "mounts-and-where-sessions-live"].sort(),
    );
  });

  it("reports line and column of links outside code only", () => {
    const links = linksOf("intro [a](a.md#x)\n`[b](b.md)`\n```\n[c](c.md)\n```\n[d]: d.md\n");
    expect(links).toEqual([
      { line: 1, column: 11, target: "a.md#x" },
      { line: 6, column: 6, target: "d.md" },
    ]);
  });
});
