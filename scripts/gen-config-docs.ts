// Regenerates the key tables in docs/configuration.md from the zod schemas:
//   npx vite-node scripts/gen-config-docs.ts
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { updateConfigDoc } from "./config-docs.js";

const docPath = fileURLToPath(new URL("../docs/configuration.md", import.meta.url));
const before = readFileSync(docPath, "utf8");
const after = updateConfigDoc(before);
if (after === before) {
  console.log("docs/configuration.md is up to date");
} else {
  writeFileSync(docPath, after);
  console.log("docs/configuration.md: key tables regenerated");
}
