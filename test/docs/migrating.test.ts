import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATING_ANCHORS } from "../../packages/core/src/config/unsupported-keys.js";
import { anchorsOf, ROOT, readText } from "./markdown.js";

describe("docs/migrating.md", () => {
  it("has every section that a configuration warning or error links to", () => {
    const anchors = anchorsOf(readText(join(ROOT, "docs", "migrating.md")));
    expect(MIGRATING_ANCHORS.filter((anchor) => !anchors.has(anchor))).toEqual([]);
    expect(MIGRATING_ANCHORS.length).toBeGreaterThan(5);
  });
});
