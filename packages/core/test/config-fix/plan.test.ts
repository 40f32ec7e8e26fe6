import { describe, expect, it } from "vitest";
import { planFixes } from "../../src/config-fix/plan.js";

describe("planFixes (config validate --fix)", () => {
  it("renames reference keys in place: comments, quoting and layout stay byte for byte", () => {
    const fleet = [
      "# my fleet",
      "version: 1",
      "workspace: ./work   # where agents run",
      "defaults:",
      "  docker: { base_image: 'mine:1', memory: 1g }",
      "agents:",
      "  - path: ./a.yaml",
      "    overrides:",
      '      "workspace": ./elsewhere',
      "      schedules:",
      "        nightly:",
      "          type: cron",
      "          expression: '0 3 * * *'  # 3 am",
      "",
    ].join("\n");
    const planned = planFixes(fleet, "fleet");
    expect(planned.skipped).toBeUndefined();
    expect(planned.text).toBe(
      [
        "# my fleet",
        "version: 1",
        "working_directory: ./work   # where agents run",
        "defaults:",
        "  docker: { image: 'mine:1', memory: 1g }",
        "agents:",
        "  - path: ./a.yaml",
        "    overrides:",
        "      working_directory: ./elsewhere",
        "      schedules:",
        "        nightly:",
        "          type: cron",
        "          cron: '0 3 * * *'  # 3 am",
        "",
      ].join("\n"),
    );
    expect(planned.changes).toEqual([
      { line: 3, where: "workspace", description: "renamed workspace to working_directory" },
      { line: 5, where: "defaults.docker.base_image", description: "renamed base_image to image" },
      {
        line: 9,
        where: "agents[0].overrides.workspace",
        description: "renamed workspace to working_directory",
      },
      {
        line: 13,
        where: "agents[0].overrides.schedules.nightly.expression",
        description: "renamed expression to cron",
      },
    ]);
  });

  it("fixes an agent file's own keys and nothing that is already right", () => {
    const agent = "name: a\nworkspace: ./w\nschedules:\n  hourly: { type: interval, interval: 1h }\n";
    expect(planFixes(agent, "agent")).toEqual({
      text: "name: a\nworking_directory: ./w\nschedules:\n  hourly: { type: interval, interval: 1h }\n",
      changes: [{ line: 2, where: "workspace", description: "renamed workspace to working_directory" }],
    });
    const clean = "name: a\nworking_directory: ./w\n";
    expect(planFixes(clean, "agent")).toEqual({ text: clean, changes: [] });
  });

  it("leaves both spellings of one setting for the user to choose, and broken YAML alone", () => {
    const both = "name: a\nworkspace: ./old\nworking_directory: ./new\n";
    expect(planFixes(both, "agent")).toEqual({ text: both, changes: [] });
    const broken = "name: a\nworkspace: [unclosed\n";
    expect(planFixes(broken, "agent")).toMatchObject({
      text: broken,
      changes: [],
      skipped: "the file has YAML errors; fix them by hand first",
    });
  });

  it("refuses a splice that would change what the file means (an anchored key)", () => {
    // The key is an alias target elsewhere: renaming its text would break the alias.
    const anchored = "name: a\n&k workspace: ./w\nother: *k\n";
    const planned = planFixes(anchored, "agent");
    expect(planned).toEqual({
      text: anchored,
      changes: [],
      skipped: "its layout is one these fixes cannot change cleanly; apply them by hand",
    });
  });
});
