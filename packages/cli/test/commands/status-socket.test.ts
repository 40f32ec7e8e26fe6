import { writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir, writeFleet } from "../helpers/cli.js";

// `herdctl status` asks the daemon once (GET /api/status) instead of a health request first: what
// it does when something other than a working daemon is at the control socket. The built CLI
// against a real socket file in a real fleet folder.

let dir: string;
let remove: () => Promise<void>;
const socket = () => join(dir, ".herdctl", "herdctl.sock");

beforeEach(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-status-socket-"));
  await writeFleet(dir);
  // Creates .herdctl/ and the store, with no daemon.
  expect((await herdctl(["status"], { cwd: dir })).code).toBe(0);
});
afterEach(() => remove());

function listen(onConnection: (socket: Socket) => void): Promise<Server> {
  const server = createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(socket(), () => resolve(server));
  });
}

describe("herdctl status and its control socket", () => {
  it("a socket file nobody listens on: the status from the store, not an error", async () => {
    const server = await listen(() => {});
    // Closing unlinks the socket file; a killed daemon leaves it behind, so put one back.
    await new Promise((resolve) => server.close(resolve));
    await writeFile(socket(), "");
    const r = await herdctl(["--json", "status"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(json<{ fleet: string; state: string }>(r)).toMatchObject({ fleet: "testfleet", state: "stopped" });
  });

  it("a listener that closes each connection unanswered: the status from the store", async () => {
    const server = await listen((conn) => conn.destroy());
    try {
      const r = await herdctl(["--json", "status"], { cwd: dir });
      expect(r.stderr).toBe("");
      expect(json<{ fleet: string }>(r).fleet).toBe("testfleet");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("a listener that accepts and never answers: a hung daemon, said after the silence limit", async () => {
    const held: Socket[] = [];
    const server = await listen((conn) => held.push(conn));
    try {
      const r = await herdctl(["status"], { cwd: dir });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`a daemon is listening on ${socket()} but did not answer within 10 s`);
      expect(held.length).toBe(1);
    } finally {
      for (const conn of held) conn.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("an error the daemon answers is said, not taken for no daemon", async () => {
    const server = await listen((conn) =>
      conn.once("data", () =>
        conn.end(
          'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{"error":{"code":"STOPPING","message":"the fleet is stopping"}}',
        ),
      ),
    );
    try {
      const r = await herdctl(["status"], { cwd: dir });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("the fleet is stopping");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
