import { afterEach, describe, expect, it } from "vitest";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { tempDir } from "../helpers/fleet.js";
import { writeAgents } from "../helpers/multi-fleet.js";

describe("configuration warnings reach the daemon's log", () => {
  const tmp = tempDir();
  let fleet: FleetManager | undefined;
  afterEach(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    tmp.cleanup();
  });

  it("at start and again at each reload", async () => {
    const docker = (hostConfig: string) =>
      `defaults:\n  docker:\n    enabled: true\n    host_config: { ${hostConfig} }\n`;
    writeAgents(tmp.dir, { boxed: "" }, docker("Privileged: true"));
    const log: string[] = [];
    fleet = new FleetManager({ config: tmp.dir, watchConfig: false, log: (line) => log.push(line) });
    await fleet.start();
    const privileged =
      "warning: herdctl.yaml:6:32 defaults.docker.host_config.Privileged: true gives the container full control of the host; remove it unless the agent needs it";
    expect(log).toContain(privileged);

    writeAgents(tmp.dir, { boxed: "" }, docker("PidMode: host"));
    log.length = 0;
    expect(await fleet.reload()).toMatchObject({ ok: true });
    expect(log).toContain(
      "warning: herdctl.yaml:6:29 defaults.docker.host_config.PidMode: host shares the host's process namespace: the container sees and can signal every host process; remove it unless the agent needs it",
    );
    expect(log).not.toContain(privileged);
  });
});
