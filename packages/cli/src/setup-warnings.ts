import type { ResolvedAgent } from "@herdctl/core";
import { workspaceAccessProblem } from "@herdctl/core/internal/runner/runtime/workspace-access";

/** Set-ups that load and run but cannot work as the user probably hopes; said once, up front. */
export function setupWarnings(
  agents: readonly ResolvedAgent[],
  how: { offline: boolean; web: boolean },
): string[] {
  const warnings: string[] = [];
  for (const agent of agents) {
    for (const [name, schedule] of Object.entries(agent.schedules ?? {})) {
      if (schedule.type === "webhook" && !how.web) {
        warnings.push(
          `${agent.name}/${name} is a webhook schedule, and webhooks are served by the web server: start with --web, or set web.enabled or webhooks.enabled to true`,
        );
      }
    }
    const network = agent.docker?.network ?? "bridge";
    if (how.offline && agent.docker?.enabled && network !== "host") {
      warnings.push(
        `${agent.name} runs in Docker with network ${network}, from where the offline stand-in on 127.0.0.1 cannot be reached; set defaults.docker.network: host in the fleet file for offline runs`,
      );
    }
    const workspace = workspaceAccessProblem(agent);
    if (workspace) warnings.push(workspace.message);
  }
  return warnings;
}
