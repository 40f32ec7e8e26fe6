import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl } from "../helpers/cli.js";

/**
 * A reference herdctl user's first command is `herdctl config validate` on their existing fleet.
 * Keys herdctl implements must pass silently; each key it still ignores must say so and point at
 * the guide that explains it.
 */
const FIXTURES = fileURLToPath(
  new URL("../../../core/test/config/fixtures/reference-shaped/", import.meta.url),
);

beforeAll(() => assertBuilt());

describe("config validate on reference-shaped fleets", () => {
  it.each(["block", "flat"])("%s: valid, with no warning", async (folder) => {
    const r = await herdctl(["config", "validate", "-c", `${FIXTURES}${folder}`], {
      cwd: FIXTURES,
      env: { SHOP_HOOK_SECRET: "shop-hook-secret-0123456789" },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^ok .*herdctl\.yaml: fleet shop, 2 agents\n$/);
  });

  it("ignored keys: each warning line names docs/migrating.md", async () => {
    const r = await herdctl(["config", "validate", "-c", `${FIXTURES}ignored`], { cwd: FIXTURES });
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split("\n");
    // The fixture's web chat keys (session_expiry_hours, tool_results, message_grouping), its agent's
    // chat.discord section and its discord and slack hooks are honoured now.
    expect(lines).toHaveLength(10);
    for (const line of lines) expect(line).toMatch(/^warning: .*\(docs\/migrating\.md#[a-z_-]+\)$/);
  });
});
