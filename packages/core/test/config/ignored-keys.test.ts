import { describe, expect, it } from "vitest";
import { tempDir, writeFleet } from "../helpers/fleet.js";

describe("reference-format keys herdctl does not implement", () => {
  it("load with a warning naming the key and its position", async () => {
    const tmp = tempDir();
    try {
      const { fleet, agent } = await writeFleet(tmp.dir, "self_scheduling: { enabled: true }\n", {
        fleetYaml:
          "version: 1\nweb:\n  port: 3232\n  open_browser: true\nagents:\n  - path: ./agents/worker.yaml\n",
      });
      expect(agent).not.toHaveProperty("self_scheduling");
      expect(fleet.warnings.map((w) => `${w.file}:${w.line} ${w.message}`)).toEqual([
        'herdctl.yaml:4 "web.open_browser" is not supported by herdctl and is ignored: herdctl does not open a browser; herdctl start --web prints the dashboard\'s login link (docs/migrating.md#opening-the-browser)',
        'agents/worker.yaml:3 "self_scheduling" is not supported by herdctl and is ignored: agents cannot change their own schedules in herdctl; the operator does, with herdctl schedules (docs/migrating.md#self_scheduling)',
      ]);
    } finally {
      tmp.cleanup();
    }
  });
});

describe("reference-format keys herdctl implements", () => {
  it("load the web chat keys without a warning, and refuse a bad one naming the key", async () => {
    const tmp = tempDir();
    try {
      const { fleet } = await writeFleet(tmp.dir, "", {
        fleetYaml:
          "version: 1\nweb:\n  session_expiry_hours: 12\n  tool_results: false\n  message_grouping: grouped\nagents:\n  - path: ./agents/worker.yaml\n",
      });
      expect(fleet.warnings).toEqual([]);
      expect(fleet.fleet.web).toMatchObject({
        session_expiry_hours: 12,
        tool_results: false,
        message_grouping: "grouped",
      });
      await expect(
        writeFleet(tmp.dir, "", {
          fleetYaml:
            "version: 1\nweb:\n  message_grouping: bubbles\nagents:\n  - path: ./agents/worker.yaml\n",
        }),
      ).rejects.toThrow(/herdctl\.yaml:3:\d+ web\.message_grouping/);
    } finally {
      tmp.cleanup();
    }
  });

  it("load metadata_file and a schedule's outputToFile without a warning", async () => {
    const tmp = tempDir();
    try {
      const { fleet, agent } = await writeFleet(
        tmp.dir,
        "metadata_file: reports/meta.json\nschedules:\n  nightly: { type: interval, interval: 1h, outputToFile: true }\n",
      );
      expect(fleet.warnings).toEqual([]);
      expect(agent.metadata_file).toBe("reports/meta.json");
      expect(agent.schedules?.nightly?.outputToFile).toBe(true);
    } finally {
      tmp.cleanup();
    }
  });

  it("refuses a metadata_file outside the working directory, naming the key", async () => {
    const tmp = tempDir();
    try {
      for (const path of ["../elsewhere.json", "/etc/shadow"]) {
        await expect(writeFleet(tmp.dir, `metadata_file: ${path}\n`)).rejects.toThrow(
          /agents\/worker\.yaml:3:\d+ metadata_file: must be a path inside the working directory/,
        );
      }
    } finally {
      tmp.cleanup();
    }
  });
});
