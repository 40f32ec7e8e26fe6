import { expect, it } from "vitest";
import { MEMORY_VERSIONS_KEPT } from "../../src/state/memory.js";
import { describeBackends, openState } from "./helpers.js";

describeBackends("MemoryRepository", () => {
  it("numbers versions per agent, newest is current, and keeps a bounded history", () => {
    const { state } = openState();
    expect(state.memory.current("a")).toBeUndefined();
    state.memory.save("a", { content: "one", source: "edit", actor: "cli:me" });
    state.memory.save("b", { content: "other agent", source: "job", jobId: "job-x" });
    const two = state.memory.save("a", { content: "twé", source: "job", truncatedFrom: 9000 });
    expect(two).toMatchObject({ agent: "a", version: 2, bytes: 4, truncatedFrom: 9000, source: "job" });
    expect(state.memory.current("a")?.content).toBe("twé");
    expect(state.memory.get("b", 1)?.content).toBe("other agent");

    for (let i = 3; i <= MEMORY_VERSIONS_KEPT + 5; i++)
      state.memory.save("a", { content: `v${i}`, source: "job" });
    const versions = state.memory.versions("a");
    expect(versions).toHaveLength(MEMORY_VERSIONS_KEPT);
    expect(versions[0]!.version).toBe(MEMORY_VERSIONS_KEPT + 5);
    expect(versions.at(-1)!.version).toBe(6);
    expect(state.memory.versions("b")).toHaveLength(1);
  });
});
