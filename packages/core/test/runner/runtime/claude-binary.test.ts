import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveClaudeBinary } from "../../../src/runner/runtime/claude-binary.js";
import { RuntimeError } from "../../../src/runner/runtime/errors.js";
import { tempDir } from "../../helpers/fleet.js";

describe("finding claude", () => {
  it("prefers the configured path, then PATH, then the installed npm package", () => {
    const tmp = tempDir();
    try {
      const bin = join(tmp.dir, "bin");
      mkdirSync(bin);
      const onPath = join(bin, "claude");
      writeFileSync(onPath, "#!/bin/sh\n");
      chmodSync(onPath, 0o755);
      expect(resolveClaudeBinary(undefined, { PATH: bin })).toBe(onPath);
      expect(resolveClaudeBinary(onPath, { PATH: "" })).toBe(onPath);
      expect(resolveClaudeBinary(undefined, { PATH: "" })).toMatch(
        /@anthropic-ai\/claude-code\/bin\/claude\.exe$/,
      );
    } finally {
      tmp.cleanup();
    }
  });

  it("says how to fix a configured path that is not executable", () => {
    expect(() => resolveClaudeBinary("/nowhere/claude", { PATH: "" })).toThrow(RuntimeError);
    expect(() => resolveClaudeBinary("/nowhere/claude", { PATH: "" })).toThrow(
      'claude was not found (defaults.claude_path is "/nowhere/claude", which is not an executable file): install it with "npm install -g @anthropic-ai/claude-code" or set defaults.claude_path in herdctl.yaml',
    );
  });
});
