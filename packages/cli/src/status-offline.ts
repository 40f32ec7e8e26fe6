import { type AgentStatus, describeScheduleTiming, type FleetStatus } from "@herdctl/core";
import type { CommandContext } from "./context.js";

/** What `status` can say with no daemon running: the config, and history from the state store. */
export async function offlineStatus(ctx: CommandContext): Promise<FleetStatus> {
  const fleet = await ctx.fleet();
  const state = ctx.openState();
  try {
    const agents: AgentStatus[] = fleet.agents.map((agent) => {
      const saved = new Map(state.schedules.list({ agent: agent.name }).map((s) => [s.schedule, s]));
      const last = state.jobs.list({ agent: agent.name, limit: 1 }).jobs[0];
      return {
        name: agent.name,
        description: agent.description ?? null,
        runtime: agent.runtime ?? "sdk",
        docker: agent.docker?.enabled === true,
        model: agent.model ?? null,
        maxConcurrent: agent.instances?.max_concurrent ?? 1,
        workingDirectory: agent.working_directory,
        running: [],
        queued: [],
        schedules: Object.entries(agent.schedules ?? {}).map(([name, s]) => {
          const p = saved.get(name);
          return {
            agent: agent.name,
            name,
            type: s.type,
            when: describeScheduleTiming(s),
            enabled: (p?.enabledOverride ?? s.enabled) !== false,
            nextRunAt: null,
            lastRunAt: p?.lastRunAt ?? null,
            lastStatus: p?.lastStatus ?? null,
            lastError: p?.lastError ?? null,
            running: false,
            pending: false,
          };
        }),
        lastJob: last
          ? {
              id: last.id,
              status: last.status,
              finishedAt: last.finishedAt,
              summary: last.summary,
              error: last.error,
            }
          : null,
      };
    });
    return {
      fleet: fleet.fleet.name,
      description: fleet.fleet.description ?? null,
      state: "stopped",
      pid: 0,
      startedAt: null,
      uptimeMs: 0,
      offline: false,
      configPath: fleet.configPath,
      stateDir: state.stateDir,
      counts: { agents: agents.length, running: 0, queued: 0 },
      lastReloadError: null,
      agents,
    };
  } finally {
    state.close();
  }
}
