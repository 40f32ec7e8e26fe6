#!/usr/bin/env node
// The command npm links. It is committed, unlike the bundle it starts, so `npm ci` on a fresh
// clone links `herdctl` even though `npm run build` has not made dist/ yet.
import { existsSync } from "node:fs";

const built = new URL("../dist/index.js", import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(
    "herdctl: the CLI is not built yet; run `npm run build` in the repository, then try again\n",
  );
  process.exit(1);
}
await import(built.href);
