import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  END_MARKER,
  renderConfigTables,
  START_MARKER,
  updateConfigDoc,
} from "../../../../scripts/config-docs.js";

const DOC = fileURLToPath(new URL("../../../../docs/configuration.md", import.meta.url));

describe("docs/configuration.md", () => {
  it("holds the key tables generated from the current schemas", () => {
    const doc = readFileSync(DOC, "utf8");
    const fresh = updateConfigDoc(doc);
    if (fresh !== doc) {
      expect.fail("docs/configuration.md is stale: run npx vite-node scripts/gen-config-docs.ts");
    }
    expect(doc).toContain(renderConfigTables());
  });

  it("documents every key with its type, default and description", () => {
    const tables = renderConfigTables();
    expect(tables.startsWith(START_MARKER)).toBe(true);
    expect(tables.endsWith(END_MARKER)).toBe(true);
    expect(tables).toContain(
      "| `interval` | duration | — | Time from the end of one run to the next fire (interval schedules), e.g. 15m |",
    );
    expect(tables).toContain("| `timeout` | duration | `1d` |");
    expect(tables).toContain("| `runtime` | one of `sdk`, `cli` | `sdk` |");
    expect(tables).toMatch(
      /\| `network` \| one of `none`, `bridge`, `host`, `proxy-only` \| — \| fleet file only \|/,
    );
    expect(tables).toMatch(/\| `memory` \| string \| — \| agent or fleet \|/);
  });

  it("refuses a document without the markers, naming them", () => {
    expect(() => updateConfigDoc("# Configuration\n")).toThrow(
      `docs/configuration.md needs ${START_MARKER} and ${END_MARKER} around the key tables`,
    );
  });
});
