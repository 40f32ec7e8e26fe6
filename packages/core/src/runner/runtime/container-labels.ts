/**
 * How herdctl names and labels its agent containers: a module of its own, with no imports, so
 * that what creates a container without the container manager (the CLI's first file,
 * early-container.ts) and what judges one (warm-containers.ts) share the manager's own names.
 */
export const LABEL = {
  fleet: "herdctl.fleet",
  agent: "herdctl.agent",
  job: "herdctl.job",
  configHash: "herdctl.config-hash",
  ephemeral: "herdctl.ephemeral",
  /** Created ahead of a job (WarmContainers); its job label is WARM_JOB_LABEL until one takes it. */
  warm: "herdctl.warm",
} as const;

/** `herdctl-<fleet>-<agent>-<suffix>`, with what Docker refuses in a name made a dash. */
export function containerName(fleet: string, agent: string, suffix: string): string {
  return `herdctl-${fleet}-${agent}-${suffix}`.replace(/[^a-zA-Z0-9_.-]/g, "-");
}
