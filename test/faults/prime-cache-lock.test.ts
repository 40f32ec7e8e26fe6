import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../packages/cli/test/helpers/cli.js";

/**
 * scripts/release/prime-cache.mjs turns a release's package-lock.json into registry metadata in
 * npm's cache, which later offline installs trust. A lock that names a package a path, a version
 * that is not one, a weak or missing hash, or a plain-http tarball address is refused, naming the
 * entry, before anything is written; a good lock's entries are in npm's own format and stale, and
 * a tarball missing from the cache is named. Runs npm's own cache library (no install, no network).
 */
const SCRIPT = fileURLToPath(new URL("../../scripts/release/prime-cache.mjs", import.meta.url));
const integrity = (text: string) => `sha512-${createHash("sha512").update(text).digest("base64")}`;
const good = (name: string, version: string) => ({
  version,
  resolved: `https://registry.npmjs.org/${name}/-/${name.slice(name.lastIndexOf("/") + 1)}-${version}.tgz`,
  integrity: integrity(`${name}@${version}`),
  license: "MIT",
  dependencies: { "left-pad": "^1.3.0" },
});

let tmp: { dir: string; remove: () => Promise<void> };
let n = 0;

function prime(
  packages: Record<string, unknown>,
): Promise<{ code: number; stdout: string; stderr: string; dir: string }> {
  const dir = join(tmp.dir, `release-${++n}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ lockfileVersion: 3, packages: { "": { name: "herdctl-release" }, ...packages } }),
  );
  return new Promise((resolve) =>
    execFile(process.execPath, [SCRIPT, dir, "--cache", join(dir, "cache")], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr, dir }),
    ),
  );
}

beforeAll(async () => {
  tmp = await tempDir("herdctl-prime-cache-");
});
afterAll(async () => {
  await tmp.remove();
});

describe("prime-cache.mjs with a hostile or broken release lock", () => {
  it.each([
    [
      "a name that is a path",
      "node_modules/evil",
      { ...good("evil", "1.0.0"), name: "../../etc/passwd" },
      'names a package "../../etc/passwd", which is not an npm package name',
    ],
    [
      "a version that is a tag",
      "node_modules/x",
      { ...good("x", "1.0.0"), version: "latest" },
      'has version "latest", not a version',
    ],
    [
      "a sha1 hash",
      "node_modules/x",
      { ...good("x", "1.0.0"), integrity: "sha1-AAAA" },
      "has no sha512 integrity hash",
    ],
    [
      "a plain-http tarball address",
      "node_modules/x",
      { ...good("x", "1.0.0"), resolved: "http://registry.example/x-1.0.0.tgz" },
      "has no https tarball address (resolved)",
    ],
  ])("refuses %s before writing anything", async (_what, path, entry, why) => {
    const r = await prime({ "node_modules/left-pad": good("left-pad", "1.3.0"), [path]: entry });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `prime-cache: ${join(r.dir, "package-lock.json")}: "${path}" ${why}; pack the release again\n`,
    );
    expect(existsSync(join(r.dir, "cache"))).toBe(false);
  });

  it("writes stale metadata of the pinned versions only, and names the tarballs the cache lacks", async () => {
    const r = await prime({
      "node_modules/left-pad": good("left-pad", "1.3.0"),
      "node_modules/@scope/tool": good("@scope/tool", "2.0.0"),
      "node_modules/@scope/tool/node_modules/left-pad": good("left-pad", "1.1.0"),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^primed 2 packages' metadata in /);
    expect(r.stderr).toContain(
      "an offline install stops at them:\n  @scope/tool@2.0.0\n  left-pad@1.1.0\n  left-pad@1.3.0\n",
    );
    // Read back with the cache library of the npm that runs this test, as npm reads it.
    const npmRoot = join(process.execPath, "..", "..", "lib", "node_modules", "npm");
    const cacache = createRequire(join(npmRoot, "package.json"))("cacache");
    const entry = await cacache.get(
      join(r.dir, "cache", "_cacache"),
      "make-fetch-happen:request-cache:https://registry.npmjs.org/left-pad",
    );
    const packument = JSON.parse(entry.data.toString());
    expect(Object.keys(packument.versions).sort()).toEqual(["1.1.0", "1.3.0"]);
    expect(packument["dist-tags"]).toEqual({ latest: "1.3.0" });
    expect(packument.versions["1.3.0"]).toEqual({
      name: "left-pad",
      version: "1.3.0",
      dependencies: { "left-pad": "^1.3.0" },
      license: "MIT",
      dist: { tarball: good("left-pad", "1.3.0").resolved, integrity: good("left-pad", "1.3.0").integrity },
    });
    expect(entry.metadata.resHeaders["cache-control"]).toBe("max-age=0");
    const scoped = await cacache.get.info(
      join(r.dir, "cache", "_cacache"),
      "make-fetch-happen:request-cache:https://registry.npmjs.org/@scope%2ftool",
    );
    expect(scoped.metadata.url).toBe("https://registry.npmjs.org/@scope%2ftool");
  });
});
