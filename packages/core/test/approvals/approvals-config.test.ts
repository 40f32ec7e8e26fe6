import { describe, expect, it } from "vitest";
import { loadFleet } from "../../src/config/index.js";
import { problems, writeFleet } from "../config/helpers.js";

describe("approvals in the fleet's configuration", () => {
  it("fills the defaults, and an agent inherits the fleet's defaults.approvals", async () => {
    const dir = writeFleet({
      "herdctl.yaml":
        'defaults:\n  approvals: { tools: ["Bash(git push:*)"], timeout: 2h }\nagents:\n  - path: agents/a.yaml\n  - path: agents/b.yaml\n',
      "agents/a.yaml": "name: a\n",
      "agents/b.yaml": 'name: b\napprovals: { tools: ["Write(/etc/**)"], on_timeout: allow }\n',
    });
    const { agents } = await loadFleet(dir, { env: {} });
    expect(agents.map((a) => [a.name, a.approvals])).toEqual([
      ["a", { tools: ["Bash(git push:*)"], timeout: 7_200_000, on_timeout: "deny" }],
      // A mapping merges key by key: the agent's tools replace the list, the fleet's timeout stays.
      ["b", { tools: ["Write(/etc/**)"], timeout: 7_200_000, on_timeout: "allow" }],
    ]);
  });

  it("names the file, line and key of a bad rule, timeout or on_timeout", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "agents:\n  - path: agents/a.yaml\n",
      "agents/a.yaml":
        'name: a\napprovals:\n  tools: ["Bash(git push:*)", "rm -rf /"]\n  timeout: forever\n  on_timeout: maybe\n',
    });
    expect(await problems(dir)).toEqual([
      'agents/a.yaml:3:31 approvals.tools[1]: "rm -rf /" is not a claude permission rule',
      'agents/a.yaml:4:12 approvals.timeout: "forever" is not a duration; use a number followed by ms, s, m, h or d, e.g. 15m',
      'agents/a.yaml:5:15 approvals.on_timeout: "maybe" is not one of: deny, allow',
    ]);
  });
});
