import { describe, expect, it } from "vitest";
import { tempDir, writeFleet } from "../helpers/fleet.js";

describe("reference-format keys herdctl does not implement", () => {
  it("load with a warning naming the key and its position", async () => {
    const tmp = tempDir();
    try {
      const { fleet, agent } = await writeFleet(tmp.dir, "metadata_file: meta.json\n", {
        fleetYaml:
          "version: 1\nweb:\n  port: 3232\n  open_browser: true\n  tool_results: false\nagents:\n  - path: ./agents/worker.yaml\n",
      });
      expect(agent).not.toHaveProperty("metadata_file");
      expect(fleet.warnings.map((w) => `${w.file}:${w.line} ${w.message}`)).toEqual([
        'herdctl.yaml:4 "web.open_browser" is not supported by herdctl and is ignored: herdctl does not open a browser; herdctl start --web prints the dashboard\'s login link (docs/migrating.md#opening-the-browser)',
        'herdctl.yaml:5 "web.tool_results" is not supported by herdctl and is ignored: it configures web chat, which comes with the chat work (docs/migrating.md#chat)',
        'agents/worker.yaml:3 "metadata_file" is not supported by herdctl and is ignored: see docs/migrating.md#every-reference-key',
      ]);
    } finally {
      tmp.cleanup();
    }
  });
});
