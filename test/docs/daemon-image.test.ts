import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * docker/daemon.Dockerfile, read: what docs/operating.md ("Running on a server") and
 * docs/security.md promise of it. The image built and run, firing a Docker agent through the
 * host's engine, is bench/daemon-container.ts (not in the suite: minutes to build); the build timed is bench/daemon-image.ts.
 */

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(fileURLToPath(new URL(path, ROOT)), "utf8");
const DOCKERFILE = read("docker/daemon.Dockerfile");
const BUILD_SCRIPT = read("scripts/build-daemon-image.mjs");

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(" ") };
    });
}

const ops = instructions(DOCKERFILE);
const all = (op: string) => ops.filter((i) => i.op === op).map((i) => i.args);
const depsOps = instructions(read("docker/daemon-deps.Dockerfile"));
const deps = (op: string) => depsOps.filter((i) => i.op === op).map((i) => i.args);

describe("docker/daemon.Dockerfile", () => {
  it("builds on the offline runtime image and fetches nothing while building", () => {
    // On the dependencies image, itself on the runtime image: ARGs, not fixed images.
    expect(all("ARG")).toContain("DEPS");
    expect(all("FROM")).toEqual(["$" + "{DEPS}"]);
    expect(deps("ARG")).toContain("BASE=herdctl/runtime:latest");
    expect(deps("FROM")).toEqual(["$" + "{BASE}"]);
    const fetching = [...all("RUN"), ...deps("RUN")].filter((run) =>
      /\b(apt-get|apt|curl|wget|npm|npx|pip|git)\b/.test(run),
    );
    expect(fetching).toEqual([]);
    // The script builds both without a network, from the contexts it makes.
    expect(BUILD_SCRIPT.match(/"build",\s*"--network",\s*"none"/g)).toHaveLength(2);
    expect(BUILD_SCRIPT).toContain('"docker/daemon.Dockerfile"');
    expect(BUILD_SCRIPT).toContain('"docker/daemon-deps.Dockerfile"');
  });

  it("runs herdctl as the non-root user, the fleet in a volume, the dashboard's port exposed", () => {
    expect(all("USER").at(-1)).toBe("herdctl");
    expect(all("VOLUME")).toEqual(["/fleet"]);
    expect(all("WORKDIR").at(-1)).toBe("/fleet");
    expect(all("EXPOSE")).toEqual(["3232"]);
    expect(all("ENTRYPOINT")).toEqual(['["herdctl"]']);
    expect(JSON.parse(all("CMD").at(-1)!)).toEqual(["start", "--web", "--web-host", "0.0.0.0"]);
  });

  it("checks its health on /api/health, an endpoint open without login", () => {
    const [health] = all("HEALTHCHECK");
    expect(health).toContain("/api/health");
    expect(health).toMatch(/HERDCTL_HEALTH_PORT \|\| 3232/);
    expect(read("docs/web.md")).toMatch(/Open to all: `\/api\/health`/);
  });

  it("is documented: how to build and run it, and what mounting the Docker socket grants", () => {
    const operating = read("docs/operating.md");
    const section = operating.slice(operating.indexOf("## Running on a server"));
    expect(section).toContain("node scripts/build-daemon-image.mjs");
    expect(section).toContain("/var/run/docker.sock");
    expect(section).toContain("security.md#the-daemon-in-a-container");
    expect(read("docs/security.md")).toMatch(/## The daemon in a container[\s\S]*root on the host/);
  });
});
