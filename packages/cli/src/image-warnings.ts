import type { ResolvedAgent } from "@herdctl/core";
import { DockerError } from "@herdctl/core/internal/docker/errors";
import { DEFAULT_IMAGE } from "@herdctl/core/internal/docker/runtime-image";
import { ContainerManager } from "@herdctl/core/internal/runner/runtime/container-manager";

/**
 * One warning per image a Docker agent needs and the engine lacks, saying how to build it, so a
 * missing herdctl/runtime:dev is named at start rather than by each job's failure. Says nothing
 * when no engine answers: the first Docker job reports that with its own fix.
 */
export async function missingImageWarnings(
  agents: readonly ResolvedAgent[],
  manager?: ContainerManager,
): Promise<string[]> {
  const users = new Map<string, string[]>();
  for (const agent of agents) {
    if (!agent.docker?.enabled) continue;
    const image = agent.docker.image ?? DEFAULT_IMAGE;
    users.set(image, [...(users.get(image) ?? []), agent.name]);
  }
  if (users.size === 0) return [];
  const engine = manager ?? new ContainerManager();
  const warnings: string[] = [];
  try {
    for (const [image, names] of users) {
      if (await engine.hasImage(image)) continue;
      const failure = new DockerError({ code: "DOCKER_IMAGE_MISSING", image });
      warnings.push(
        `${names.join(", ")} run${names.length === 1 ? "s" : ""} in Docker, and ${failure.message}`,
      );
    }
  } catch {
    return [];
  } finally {
    if (!manager) engine.close();
  }
  return warnings;
}
