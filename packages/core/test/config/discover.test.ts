import { mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findConfigFile } from "../../src/config/index.js";
import { writeFleet } from "./helpers.js";

describe("findConfigFile", () => {
  it("finds herdctl.yaml in a parent folder, nearest first", () => {
    const root = realpathSync(
      writeFleet({ "herdctl.yaml": "agents: []\n", "team/herdctl.yml": "agents: []\n" }),
    );
    const deep = join(root, "team", "a", "b");
    mkdirSync(deep, { recursive: true });
    expect(findConfigFile(deep)).toBe(join(root, "team", "herdctl.yml"));
    expect(findConfigFile(join(root, "team"))).toBe(join(root, "team", "herdctl.yml"));
    mkdirSync(join(root, "other"));
    expect(findConfigFile(join(root, "other"))).toBe(join(root, "herdctl.yaml"));
  });

  it("prefers .yaml over .yml in the same folder", () => {
    const root = writeFleet({ "herdctl.yaml": "", "herdctl.yml": "" });
    expect(findConfigFile(root)).toBe(join(root, "herdctl.yaml"));
  });

  it("returns undefined when no folder up to the root has one", () => {
    const root = writeFleet({ "x/readme.txt": "" });
    // The temp folder's ancestors (/tmp, /) hold no fleet file on a clean machine.
    expect(findConfigFile(join(root, "x"))).toBeUndefined();
  });
});
