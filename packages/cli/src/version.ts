import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const VERSION = "0.1.0";

/** The packages whose versions decide how a job behaves, besides herdctl's own. */
const RUNTIME_PACKAGES = ["@anthropic-ai/claude-code", "@anthropic-ai/claude-agent-sdk"];

/**
 * `herdctl --version`: herdctl's version, then claude's and the Agent SDK's as installed beside
 * it, one per line, so a bug report says which claude ran. Read from their package.json files, not
 * by starting claude: the answer must come at once.
 */
export function versionText(): string {
  const lines = [`herdctl ${VERSION}`];
  for (const name of RUNTIME_PACKAGES) lines.push(`${name} ${installedVersion(name) ?? "not installed"}`);
  return lines.join("\n");
}

function installedVersion(name: string): string | undefined {
  let dir: string | undefined;
  // require's resolution, not import.meta's: this also runs in the CommonJS entry (herdctl.cjs).
  const { resolve } = createRequire(import.meta.url);
  // Its package.json when the package exports it, else its entry point, from which we climb.
  for (const specifier of [`${name}/package.json`, name]) {
    try {
      dir = dirname(resolve(specifier));
      break;
    } catch {
      // Not exported under this specifier: try the next.
    }
  }
  if (dir === undefined) return undefined;
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return pkg.version;
    } catch {
      // No package.json here: keep climbing.
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
