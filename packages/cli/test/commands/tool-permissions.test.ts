import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../../core/test/docker/runtime-image-fixture.js";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";

const FLEET = `toolperms-${process.pid}`;

let dir: string;
let remove: () => Promise<void>;
beforeAll(() => assertBuilt());
beforeEach(async () => {
  ({ dir, remove } = await tempDir());
});
afterEach(() => remove());
afterAll(() => removeFleetContainers(FLEET));

/** One agent, worker, in ./workspace (created by this process: owned by root when tests run as root). */
async function writeOneAgent(agentYaml: string, defaults = ""): Promise<string> {
  const workspace = join(dir, "workspace");
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(workspace, { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    `version: 1\nfleet: { name: ${FLEET} }\ndefaults:\n  runtime: cli\n${defaults}agents:\n  - path: ./agents/worker.yaml\n`,
  );
  await writeFile(
    join(dir, "agents", "worker.yaml"),
    `name: worker\nworking_directory: ../workspace\n${agentYaml}`,
  );
  return workspace;
}

function jobIdOf(stdout: string): string {
  const id = /^job (\S+) /m.exec(stdout)?.[1];
  if (!id) throw new Error(`no job line in:\n${stdout}`);
  return id;
}

describe("tool calls refused for lack of permission", () => {
  it("shows claude's denial of a Write in trigger output and in herdctl job", async () => {
    const workspace = await writeOneAgent("permission_mode: default\n");
    const r = await herdctl(
      ["trigger", "worker", "--offline", "-p", "@standin write notes.txt hello\n@standin text could not"],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const refused = `1 tool call was refused: Write ${join(workspace, "notes.txt")} (denied)`;
    expect(r.stdout).toContain(refused);
    const shown = await herdctl(["job", jobIdOf(r.stdout)], { cwd: dir });
    expect(shown.stdout).toContain("Refused tool calls (the job's status is claude's own):");
    expect(shown.stdout).toContain(`  Write ${join(workspace, "notes.txt")} (denied)`);
  });

  it(
    "warns about a root-owned workspace in doctor, config validate and trigger, and shows the EACCES",
    async () => {
      await ensureRuntimeImage();
      expect(process.getuid?.()).toBe(0); // the case at hand: herdctl run by root, as on many servers
      const workspace = await writeOneAgent(
        "permission_mode: acceptEdits\ndocker: { enabled: true }\n",
        "  docker: { network: host }\n",
      );
      const warning =
        `agent worker: its working directory ${workspace} is owned by 0:0 with mode 755, and its ` +
        "container runs as 1000:1000, which cannot write there: tool calls that write will fail with " +
        `EACCES. Fix: chown -R 1000:1000 ${workspace}, or set docker.user in the fleet file ` +
        "(defaults.docker.user or agents[].overrides.docker.user)";

      const validate = await herdctl(["config", "validate"], { cwd: dir });
      expect(validate.code).toBe(0);
      expect(validate.stderr).toContain(`warning: ${warning}`);
      const validateJson = json<{ workspaceProblems: unknown[] }>(
        await herdctl(["--json", "config", "validate"], { cwd: dir }),
      );
      expect(validateJson.workspaceProblems).toEqual([
        expect.objectContaining({ agent: "worker", owner: "0:0", mode: "755", containerUser: "1000:1000" }),
      ]);

      const doctor = await herdctl(["doctor"], { cwd: dir, env: { HOME: dir } });
      expect(doctor.stdout).toMatch(
        new RegExp(
          `warn\\s+workspace\\s+worker: ${workspace} is owned by 0:0 \\(mode 755\\); its container runs as 1000:1000 and cannot write there`,
        ),
      );
      expect(doctor.stdout).toContain(`fix: chown -R 1000:1000 ${workspace}, or set docker.user`);

      const r = await herdctl(
        [
          "trigger",
          "worker",
          "--offline",
          "-p",
          "@standin write /workspace/blocked.txt hi\n@standin text tried",
        ],
        { cwd: dir },
      );
      expect(r.stderr).toContain(warning);
      expect(r.stdout).toContain("1 tool call was refused: Write /workspace/blocked.txt (EACCES)");
      const { job } = json<{ job: { status: string; toolFailures: unknown } }>(
        await herdctl(["--json", "job", jobIdOf(r.stdout)], { cwd: dir }),
      );
      expect(job.status).toBe("completed");
      expect(job.toolFailures).toEqual([
        { tool: "Write", target: "/workspace/blocked.txt", reason: "EACCES" },
      ]);
    },
    IMAGE_TIMEOUT_MS,
  );
});
