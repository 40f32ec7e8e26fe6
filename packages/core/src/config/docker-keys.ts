// Plain lists, apart from the zod schemas, so that what runs a job (runner/runtime/docker-config.ts)
// checks Docker keys without loading zod and the schemas.

/** Docker keys an agent file may set: they limit the container, they cannot widen its reach. */
export const AGENT_DOCKER_KEYS = [
  "enabled",
  "ephemeral",
  "memory",
  "cpus",
  "cpu_shares",
  "cpu_period",
  "cpu_quota",
  "pids_limit",
  "tmpfs",
  "workspace_mode",
  "max_containers",
  "labels",
  "read_only",
] as const;

/** Docker keys only the fleet file may set: they decide what the container can reach. */
export const FLEET_ONLY_DOCKER_KEYS = [
  "image",
  "network",
  "user",
  "volumes",
  "env",
  "ports",
  "host_config",
  "credentials",
  "egress",
] as const;
