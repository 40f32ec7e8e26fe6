import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFleet } from "../../src/config/index.js";
import { tempDir, writeFleet } from "../helpers/fleet.js";

describe(".env beside the fleet file", () => {
  it("offers the variables the environment does not set to claude's environment", async () => {
    const tmp = tempDir();
    try {
      await writeFleet(tmp.dir, "");
      writeFileSync(join(tmp.dir, ".env"), "ANTHROPIC_API_KEY=from-dotenv-key\nSHARED=from-dotenv\n");
      const fleet = await loadFleet(tmp.dir, { env: { SHARED: "from-environment" } });
      expect(fleet.dotEnv).toEqual({ ANTHROPIC_API_KEY: "from-dotenv-key" });
    } finally {
      tmp.cleanup();
    }
  });
});
