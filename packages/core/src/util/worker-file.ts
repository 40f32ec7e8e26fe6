import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The built file of a worker thread that sits beside the module at `callerUrl` (its
 * import.meta.url), `path` being the worker's path under src/ (e.g. "retention/prune-worker").
 * Run from the TypeScript source (the tests), the caller is a .ts file and so would the worker be,
 * which a worker thread cannot load: the built one in dist/ is used (`npm run build`).
 */
export function builtWorkerFile(callerUrl: string, path: string, what: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const depth = path.split("/").length - 1;
  const fromSrc = `${"../".repeat(depth + 1)}dist/${path}.js`;
  const file = fileURLToPath(new URL(callerUrl.endsWith(".ts") ? fromSrc : `./${name}.js`, callerUrl));
  if (!existsSync(file))
    throw new Error(`the ${what} ${file} is missing: build @herdctl/core first (npm run build)`);
  return file;
}
