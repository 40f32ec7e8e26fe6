import { describe, expect, it } from "vitest";
import type { AgentInstallError } from "../../src/agent-install/errors.js";
import { addAgentEntry, removeAgentEntry } from "../../src/agent-install/fleet-file.js";

const ENTRY = "./agents/helper/agent.yaml";

describe("adding and removing fleet-file agent entries, layout kept", () => {
  it("appends to a block list, after its comments, in its indentation", () => {
    const text =
      "version: 1\nagents:\n    # ours\n    - path: ./a.yaml   # first\n\nweb: { enabled: false }\n";
    const added = addAgentEntry(text, ENTRY);
    expect(added).toBe(
      "version: 1\nagents:\n    # ours\n    - path: ./a.yaml   # first\n    - path: ./agents/helper/agent.yaml\n\nweb: { enabled: false }\n",
    );
    expect(removeAgentEntry(added, 1)).toBe(text);
  });

  it("a flow list, an empty list, a bare key and no key at all", () => {
    expect(addAgentEntry("agents: [{ path: ./a.yaml }]  # x\n", ENTRY)).toBe(
      `agents: [{ path: ./a.yaml }, { path: ${ENTRY} }]  # x\n`,
    );
    expect(removeAgentEntry(`agents: [{ path: ./a.yaml }, { path: ${ENTRY} }]\n`, 0)).toBe(
      `agents: [{ path: ${ENTRY} }]\n`,
    );
    expect(addAgentEntry("agents: []\n", ENTRY)).toBe(`agents: [{ path: ${ENTRY} }]\n`);
    expect(addAgentEntry("version: 1\nagents:\nweb: {}\n", ENTRY)).toBe(
      `version: 1\nagents:\n  - path: ${ENTRY}\nweb: {}\n`,
    );
    expect(addAgentEntry("version: 1", ENTRY)).toBe(`version: 1\nagents:\n  - path: ${ENTRY}\n`);
  });

  it("removing the only entry leaves agents: [] (a bare agents: would mean null)", () => {
    expect(removeAgentEntry(`version: 1\nagents:\n  - path: ${ENTRY}\nweb: {}\n`, 0)).toBe(
      "version: 1\nagents: []\nweb: {}\n",
    );
  });

  it("a list it cannot edit cleanly is refused, not rewritten", () => {
    const refuse = (text: string) => {
      try {
        addAgentEntry(text, ENTRY);
      } catch (error) {
        expect((error as AgentInstallError).code).toBe("AGENT_FLEET_NOT_EDITABLE");
        return (error as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refuse("agents: ./a.yaml\n")).toContain("the fleet file's agents: is not a list");
    expect(refuse("agents: [\n")).toContain("is not readable YAML");
  });
});
