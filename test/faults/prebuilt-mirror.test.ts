import { execFile, execFileSync } from "node:child_process";
import {
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packPrebuiltSqlite } from "../../scripts/release/prebuilt-sqlite.mjs";

/**
 * The binary mirror an offline install of a release uses (docs/operating.md, "With no internet";
 * docs/security.md, "Installing a release offline"): better-sqlite3's installer, prebuild-install,
 * run as npm runs it (in the package's folder, the mirror named by
 * npm_config_better_sqlite3_binary_host), against a mirror on 127.0.0.1 serving a tarball whose
 * binary is not one (what a broken or tampered mirror serves): refused, because it does not load,
 * so npm goes on to compile from source instead of installing it. The release's own prebuilt
 * binary from the same mirror path installs and loads.
 */

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SQLITE = join(ROOT, "node_modules", "better-sqlite3");
const INSTALLER = join(ROOT, "node_modules", "prebuild-install", "bin.js");
let scratch: string;
let mirror: Server;
let served: string;
let host: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "herdctl-prebuilt-mirror-"));
  served = join(scratch, "mirror");
  mirror = createServer((req, res) => {
    const file = join(served, new URL(req.url ?? "/", "http://mirror").pathname);
    if (!file.startsWith(served) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ready) => mirror.listen(0, "127.0.0.1", ready));
  host = `http://127.0.0.1:${(mirror.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((done) => mirror?.close(done));
  rmSync(scratch, { recursive: true, force: true });
});

/** prebuild-install in a fresh copy of better-sqlite3's package.json, with its own empty cache. */
function install(name: string): Promise<{ code: number; stderr: string; pkg: string }> {
  const pkg = join(scratch, name);
  mkdirSync(pkg);
  copyFileSync(join(SQLITE, "package.json"), join(pkg, "package.json"));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [INSTALLER],
      {
        cwd: pkg,
        env: {
          ...process.env,
          npm_config_cache: join(scratch, `${name}-cache`),
          npm_config_better_sqlite3_binary_host: host,
        },
      },
      (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr, pkg }),
    );
  });
}

describe("better-sqlite3's binary mirror serving something else (mirror faked on 127.0.0.1)", () => {
  it("refuses a binary that does not load, so the install falls back to compiling", async () => {
    // The release's tarball, at its path on the mirror, with its binary swapped for junk.
    const good = packPrebuiltSqlite(ROOT, served) as string;
    const staging = join(scratch, "staging", "build", "Release");
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, "better_sqlite3.node"), "#!/bin/sh\necho not a native module\n");
    execFileSync("tar", ["-czf", good, "-C", join(scratch, "staging"), "build/Release/better_sqlite3.node"]);

    const r = await install("junk");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid ELF header|not a valid|file too short/i);
  });

  it("installs the release's own binary from the same path, and it loads", async () => {
    packPrebuiltSqlite(ROOT, served);
    const r = await install("good");
    expect(r.code, r.stderr).toBe(0);
    const binary = join(r.pkg, "build", "Release", "better_sqlite3.node");
    expect(existsSync(binary)).toBe(true);
    const loaded = execFileSync(
      process.execPath,
      [
        "-e",
        `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(binary)}); console.log(typeof m.exports.Database)`,
      ],
      { encoding: "utf8" },
    );
    expect(loaded.trim()).toBe("function");
  });
});
