import { spawn } from "node:child_process";
import { FleetManager, serveControlSocket } from "@herdctl/core/internal";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, scratch, until, writeFleetFiles } from "./helpers.js";

/** The daemon goes away under a `herdctl logs -f`: the follower says so and ends, not with "aborted". */
const root = scratch("herdctl-faults-logs-");
afterAll(() => root.cleanup());

describe("logs -f when the daemon's stream closes", () => {
  it("ends with exit 0 and a word, not an error, when the daemon closes the event stream", async () => {
    writeFleetFiles(root.dir, "logsfollow", { worker: "runtime: cli\n" });
    const fleet = new FleetManager({ config: root.dir, watchConfig: false, env: {} });
    await fleet.start();
    const control = await serveControlSocket(fleet, fleet.state.socketPath);
    const child = spawn(process.execPath, [CLI, "-c", root.dir, "logs", "-f"], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    // Until the follower's request is open on the socket.
    await until(() => (fleet.events.listenerCount("job:started") > 0 ? true : undefined));
    await control.close();
    await fleet.stop({ timeoutMs: 1_000 });
    expect(await exited).toBe(0);
    expect(stderr).toBe("the daemon stopped; nothing more to follow\n");
  });
});
