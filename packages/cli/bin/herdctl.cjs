#!/usr/bin/env node
// The command npm links. It is committed, unlike the bundle it starts, so `npm ci` on a fresh
// clone links `herdctl` even though `npm run build` has not made dist/ yet. CommonJS, as is
// dist/herdctl.cjs: an ES module here would load Node's ES module loader for every command.
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const built = join(__dirname, "..", "dist", "herdctl.cjs");
if (!existsSync(built)) {
  process.stderr.write(
    "herdctl: the CLI is not built yet; run `npm run build` in the repository, then try again\n",
  );
  process.exit(1);
}
require(built);
