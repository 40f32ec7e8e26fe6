import { chmodSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { tempDir, writeFleet } from "../../core/test/helpers/fleet.js";
import { setupWarnings } from "../src/setup-warnings.js";

describe("warnings at start", () => {
  it("names webhook schedules without a web server and offline Docker agents without host networking", async () => {
    const tmp = tempDir();
    try {
      const { agent, workspace } = await writeFleet(
        tmp.dir,
        "docker: { enabled: true }\nschedules:\n  push: { type: webhook, secret_env: PUSH_SECRET }\n",
      );
      chmodSync(workspace, 0o777); // writable by the container user, whoever runs the test
      expect(setupWarnings([agent], { offline: true, web: false })).toEqual([
        "worker/push is a webhook schedule, and webhooks are served by the web server: start with --web, or set web.enabled or webhooks.enabled to true",
        "worker runs in Docker with network bridge, from where the offline stand-in on 127.0.0.1 cannot be reached; set defaults.docker.network: host in the fleet file for offline runs",
      ]);
      expect(setupWarnings([agent], { offline: false, web: true })).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it("names a Docker agent whose container user cannot write its working directory, with the fix", async () => {
    const tmp = tempDir();
    try {
      const { agent, workspace } = await writeFleet(tmp.dir, "docker: { enabled: true }\n", {
        fleetYaml:
          'version: 1\ndefaults:\n  docker: { user: "4242:4242", network: host }\nagents:\n  - path: ./agents/worker.yaml\n',
      });
      chmodSync(workspace, 0o755);
      const warning = setupWarnings([agent], { offline: true, web: true });
      expect(warning).toEqual([
        `agent worker: its working directory ${workspace} is owned by ${process.getuid?.()}:${process.getgid?.()} ` +
          "with mode 755, and its container runs as 4242:4242, which cannot write there: tool calls that " +
          `write will fail with EACCES. Fix: chown -R 4242:4242 ${workspace}, or set docker.user in the ` +
          "fleet file (defaults.docker.user or agents[].overrides.docker.user)",
      ]);
      chmodSync(workspace, 0o777);
      expect(setupWarnings([agent], { offline: true, web: true })).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });
});
