import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_FILE_MAX_BYTES } from "../../packages/web/src/server/agent-files.js";
import { send } from "../../packages/web/test/helpers/http.js";
import { startWebFleet, type WebFleet } from "../../packages/web/test/helpers/web-fleet.js";

/**
 * The dashboard's read-only view of files an agent wrote (GET /api/agents/:name/files), asked for
 * paths a hostile agent or browser would try: out of the working directory by `..`, an absolute
 * path or a link, and into the fleet's own configuration and state, which here sit inside the
 * working directory (the agents work in the fleet's folder). Each is a 404 that says nothing of
 * what lies there; a FIFO does not hang the server; a huge file is cut.
 */
let f: WebFleet;
let root: string;
let outside: string;
const OUTSIDE_SECRET = "outside-secret-0b9f3c";

beforeAll(async () => {
  f = await startWebFleet({}, { workingDirectory: "..", dotEnv: "SOME_KEY=env-secret-5521\n" });
  root = f.dir;
  outside = join(f.dir, "..", `${f.dir.split("/").pop()}-outside`);
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, "secret.txt"), OUTSIDE_SECRET);
  mkdirSync(join(root, "out"), { recursive: true });
  writeFileSync(join(root, "out", "report.md"), "# Report\nall good\n");
  symlinkSync(join(outside, "secret.txt"), join(root, "out", "link-out"));
  symlinkSync(outside, join(root, "out", "dir-out"));
  symlinkSync(join(root, "herdctl.yaml"), join(root, "out", "link-to-config"));
  symlinkSync(join(f.stateDir, "web-token"), join(root, "out", "link-to-token"));
  linkSync(join(root, ".env"), join(root, "out", "hardlink-to-env"));
  symlinkSync("report.md", join(root, "out", "link-in"));
  execFileSync("mkfifo", [join(root, "out", "fifo")]);
  writeFileSync(join(root, "out", "huge.log"), Buffer.alloc(AGENT_FILE_MAX_BYTES + 5000, "a"));
  writeFileSync(join(root, "out", "blob.bin"), Buffer.from([0x89, 0x50, 0x00, 0x01]));
});
afterAll(async () => {
  await f?.close();
  if (outside) rmSync(outside, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = f.bearer) =>
  send(f.web.url, `/api/agents/alpha/files?path=${encodeURIComponent(path)}`, { headers });

describe("agent files in the dashboard (hostile paths; Anthropic faked by the stand-in)", () => {
  it("shows a file inside the working directory, and a link that stays inside", async () => {
    for (const path of ["out/report.md", "out/link-in", "./out/report.md"]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(JSON.parse(res.body).file).toMatchObject({ text: "# Report\nall good\n", truncated: false });
    }
  });

  it("refuses traversal, absolute paths and links out with the same 404", async () => {
    const refused = [
      "../outside/secret.txt",
      `../${f.dir.split("/").pop()}-outside/secret.txt`,
      "out/../../x",
      "out/..",
      "..",
      join(root, "out", "report.md"),
      "/etc/passwd",
      "out/link-out",
      "out/dir-out/secret.txt",
      "out/report.md\0.txt",
      "",
    ];
    for (const path of refused) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body).error.code, path).toBe("FILE_NOT_FOUND");
      expect(res.body).not.toContain(OUTSIDE_SECRET);
    }
    // Encoded by hand: %2e%2e reaches the server as "..".
    const raw = await send(f.web.url, "/api/agents/alpha/files?path=%2e%2e%2fx", { headers: f.bearer });
    expect(raw.status).toBe(404);
  });

  it("never shows the fleet's configuration or state, by name, link or hard link", async () => {
    const hidden = [
      "herdctl.yaml",
      "agents/alpha.yaml",
      ".env",
      ".herdctl/web-token",
      ".herdctl/state.db",
      "out/link-to-config",
      "out/link-to-token",
      "out/hardlink-to-env",
    ];
    for (const path of hidden) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain(f.token);
      expect(res.body).not.toContain("env-secret-5521");
    }
  });

  it("answers a FIFO, a folder and an unknown agent with 404, without hanging", async () => {
    for (const path of ["out/fifo", "out", "."]) expect((await get(path)).status, path).toBe(404);
    const other = await send(f.web.url, "/api/agents/nobody/files?path=x", { headers: f.bearer });
    expect(other.status).toBe(404);
    expect(JSON.parse(other.body).error.code).toBe("FLEET_AGENT_NOT_FOUND");
    const noPath = await send(f.web.url, "/api/agents/alpha/files", { headers: f.bearer });
    expect(noPath.status).toBe(400);
  });

  it("cuts a huge file at the cap and marks binary content instead of sending it", async () => {
    const huge = JSON.parse((await get("out/huge.log")).body).file;
    expect(huge).toMatchObject({ size: AGENT_FILE_MAX_BYTES + 5000, truncated: true });
    expect(huge.text.length).toBe(AGENT_FILE_MAX_BYTES);
    expect(JSON.parse((await get("out/blob.bin")).body).file).toMatchObject({ size: 4, text: null });
  });

  it("needs the dashboard login like the rest of the API", async () => {
    const res = await get("out/report.md", {});
    expect(res.status).toBe(401);
  });
});
