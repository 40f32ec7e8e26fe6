import { realpathSync } from "node:fs";
import type { ResolvedAgent } from "../../config/index.js";
import { CONTAINER_PLUGINS_DIR } from "../../docker/runtime-image.js";

/** A plugin folder on the host and the fixed path claude sees it at inside the container. */
export interface PluginMount {
  hostPath: string;
  containerPath: string;
}

function real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    // Checked at load; gone since, Docker's own error at create names the path.
    return path;
  }
}

/**
 * Where each of an agent's plugins appears inside its container. By position, not by name, so
 * two plugin folders with the same name cannot collide and no host path text reaches a mount
 * target.
 */
export function pluginMounts(agent: Pick<ResolvedAgent, "plugins">): PluginMount[] {
  return (agent.plugins ?? []).map((plugin, index) => ({
    hostPath: real(plugin.path),
    containerPath: `${CONTAINER_PLUGINS_DIR}/${index}`,
  }));
}

/** The agent as claude inside the container must see it: plugins at their mounted paths. */
export function withContainerPlugins(agent: ResolvedAgent, mounts: readonly PluginMount[]): ResolvedAgent {
  if (!agent.plugins?.length) return agent;
  return {
    ...agent,
    plugins: agent.plugins.map((plugin, index) => ({ ...plugin, path: mounts[index]!.containerPath })),
  };
}
