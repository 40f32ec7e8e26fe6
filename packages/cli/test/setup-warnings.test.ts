import { describe, expect, it } from "vitest";
import { tempDir, writeFleet } from "../../core/test/helpers/fleet.js";
import { setupWarnings } from "../src/setup-warnings.js";

describe("warnings at start", () => {
  it("names webhook schedules without a web server and offline Docker agents without host networking", async () => {
    const tmp = tempDir();
    try {
      const { agent } = await writeFleet(
        tmp.dir,
        "docker: { enabled: true }\nschedules:\n  push: { type: webhook, secret_env: PUSH_SECRET }\n",
      );
      expect(setupWarnings([agent], { offline: true, web: false })).toEqual([
        "worker/push is a webhook schedule, and webhooks are served by the web server: start with --web, or set web.enabled or webhooks.enabled to true",
        "worker runs in Docker with network bridge, from where the offline stand-in on 127.0.0.1 cannot be reached; set defaults.docker.network: host in the fleet file for offline runs",
      ]);
      expect(setupWarnings([agent], { offline: false, web: true })).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});
