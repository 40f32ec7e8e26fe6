import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Standin } from "@herdctl/standin";
import { resolveClaudeBinary } from "../../src/runner/runtime/claude-binary.js";

export const TEST_API_KEY = "sk-ant-test-KEY-0123456789abcdef";
export const claudePath = resolveClaudeBinary(undefined, { PATH: "" });

/**
 * The environment every test run of claude gets: the stand-in as the API, a recognisable fake
 * key, no retries (so faults surface at once) and a private config dir instead of ~/.claude.
 */
export function claudeEnv(standin: Standin, root: string): Record<string, string> {
  const configDir = join(root, "claude-config");
  mkdirSync(configDir, { recursive: true });
  return {
    ANTHROPIC_BASE_URL: standin.url,
    ANTHROPIC_API_KEY: TEST_API_KEY,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
    CLAUDE_CONFIG_DIR: configDir,
  };
}
