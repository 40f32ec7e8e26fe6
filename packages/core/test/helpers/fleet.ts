import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadedFleet, loadFleet, type ResolvedAgent } from "../../src/config/index.js";

/** A scratch directory removed by the returned cleanup. */
export function tempDir(prefix = "herdctl-test-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes a one-agent fleet (herdctl.yaml + agents/<name>.yaml + a workspace) and loads it
 * through the real configuration loader.
 */
export async function writeFleet(
  root: string,
  agentYaml: string,
  options: { fleetYaml?: string; name?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ fleet: LoadedFleet; agent: ResolvedAgent; workspace: string }> {
  const name = options.name ?? "worker";
  const workspace = join(root, "workspace");
  mkdirSync(workspace, { recursive: true });
  mkdirSync(join(root, "agents"), { recursive: true });
  writeFileSync(
    join(root, "herdctl.yaml"),
    options.fleetYaml ?? `version: 1\nfleet: { name: testfleet }\nagents:\n  - path: ./agents/${name}.yaml\n`,
  );
  writeFileSync(
    join(root, "agents", `${name}.yaml`),
    `name: ${name}\nworking_directory: ../workspace\n${agentYaml}`,
  );
  const fleet = await loadFleet(root, { env: options.env ?? {} });
  const agent = fleet.agents.find((a) => a.name === name);
  if (!agent) throw new Error(`agent ${name} not loaded`);
  return { fleet, agent, workspace };
}
