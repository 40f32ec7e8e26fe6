import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes herdctl.yaml listing one agent file per entry (name → YAML body), plus a shared workspace. */
export function writeAgents(root: string, agents: Record<string, string>, fleetExtra = ""): void {
  mkdirSync(join(root, "agents"), { recursive: true });
  mkdirSync(join(root, "workspace"), { recursive: true });
  for (const [name, body] of Object.entries(agents)) {
    writeFileSync(
      join(root, "agents", `${name}.yaml`),
      `name: ${name}\nworking_directory: ../workspace\n${body}`,
    );
  }
  writeFileSync(
    join(root, "herdctl.yaml"),
    `version: 1\nfleet: { name: fm-test }\n${fleetExtra}agents:\n${Object.keys(agents)
      .map((n) => `  - path: ./agents/${n}.yaml\n`)
      .join("")}`,
  );
}
