import { isDeepStrictEqual } from "node:util";
import { DEFAULT_IMAGE } from "../docker/runtime-image.js";
import { type EgressRule, parseEgressRule, ruleCovers } from "../proxy/egress-allowlist.js";
import type { ConfigIssue } from "./errors.js";
import { mergeLayers } from "./merge.js";
import { FLEET_ONLY_DOCKER_KEYS } from "./schema.js";
import { formatPath, getChild, originIssue, type SNode, toPlain, walkScalars } from "./source.js";

type FleetOnlyKey = (typeof FLEET_ONLY_DOCKER_KEYS)[number];

/**
 * Docker keys that decide what a container can reach belong to the fleet file, because agent files
 * usually sit where the agent can write. Reference-format agent files often repeat such keys
 * anyway (the reference's own examples set `network: bridge` or the image in the agent file). A
 * value that grants nothing beyond what the fleet file already grants is harmless, so it is
 * accepted; anything wider is refused with the exact lines to move into the fleet file.
 *
 * Each check answers: given the fleet's effective value (defaults, then the agent's overrides),
 * does the agent file's value widen it? `undefined` means "no wider"; a string describes the widening.
 */
const WIDENS: Record<FleetOnlyKey, (agent: unknown, fleet: unknown) => string | undefined> = {
  image: (agent, fleet) => {
    const base = fleet ?? DEFAULT_IMAGE;
    return agent === base ? undefined : `asks for image ${q(agent)}; the fleet's is ${q(base)}`;
  },
  network: (agent, fleet) => {
    // proxy-only reaches herdctl's credential proxy and nothing else: more than none, less than bridge.
    const rank = { none: 0, "proxy-only": 1, bridge: 2, host: 3 } as Record<string, number>;
    const base = typeof fleet === "string" ? fleet : "bridge";
    const mine = typeof agent === "string" ? rank[agent] : undefined;
    if (mine !== undefined && mine <= (rank[base] ?? 2)) return undefined;
    return `asks for network ${q(agent)}; the fleet's is ${q(base)}`;
  },
  user: (agent, fleet) =>
    fleet !== undefined && String(agent) === String(fleet)
      ? undefined
      : fleet === undefined
        ? `asks for user ${q(agent)}; the fleet file sets none, so herdctl picks a non-root user`
        : `asks for user ${q(agent)}; the fleet's is ${q(fleet)}`,
  volumes: (agent, fleet) => {
    const granted = Array.isArray(fleet) ? fleet.map(String).map(parseVolume) : [];
    const extra = (Array.isArray(agent) ? agent : [agent]).filter((spec) => {
      const wanted = parseVolume(String(spec));
      // Same mount, or the same mount read-only where the fleet grants it read-write.
      return !granted.some(
        (g) =>
          g.host === wanted.host && g.target === wanted.target && (g.mode === "rw" || wanted.mode === "ro"),
      );
    });
    return extra.length === 0
      ? undefined
      : `mounts ${extra.map(q).join(", ")}, which the fleet file does not`;
  },
  env: (agent, fleet) => extraEntries(agent, fleet, "sets env"),
  ports: (agent, fleet) => {
    const granted = Array.isArray(fleet) ? fleet.map(String) : [];
    const extra = (Array.isArray(agent) ? agent : [agent]).filter((p) => !granted.includes(String(p)));
    return extra.length === 0
      ? undefined
      : `publishes ${extra.map(q).join(", ")}, which the fleet file does not`;
  },
  host_config: (agent, fleet) => extraEntries(agent, fleet, "sets host_config"),
  // proxy (the default) keeps every credential out of the container, so it only ever narrows; env
  // is only as wide as the fleet's when the fleet says env too.
  credentials: (agent, fleet) =>
    agent === "proxy" || agent === (fleet ?? "proxy")
      ? undefined
      : `asks for credentials ${q(agent)}; the fleet's is ${q(fleet ?? "proxy")}`,
  // The agent's list replaces the fleet's, so each of its entries must be inside one of the fleet's.
  egress: (agent, fleet) => {
    const granted = allowList(fleet)
      .map((entry) => parseEgressRule(entry))
      .filter((rule): rule is EgressRule => !("error" in rule));
    const extra = allowList(agent).filter((entry) => {
      const rule = parseEgressRule(entry);
      return "error" in rule || !granted.some((g) => ruleCovers(g, rule));
    });
    return extra.length === 0
      ? undefined
      : `allows egress to ${extra.map(q).join(", ")}, which the fleet's docker.egress.allow does not`;
  },
};

function allowList(value: unknown): string[] {
  const allow = value && typeof value === "object" ? (value as { allow?: unknown }).allow : undefined;
  return Array.isArray(allow) ? allow.map(String) : [];
}

function q(value: unknown): string {
  return JSON.stringify(value);
}

function parseVolume(spec: string): { host: string; target: string; mode: string } {
  const [host = "", target = "", mode = "rw"] = spec.split(":");
  return { host, target, mode };
}

// env and host_config are merged key by key, so only keys the fleet does not already set, to the
// same value, change anything.
function extraEntries(agent: unknown, fleet: unknown, verb: string): string | undefined {
  if (!agent || typeof agent !== "object" || Array.isArray(agent)) return `${verb} a non-mapping value`;
  const base = fleet && typeof fleet === "object" ? (fleet as Record<string, unknown>) : {};
  const extra = Object.entries(agent as Record<string, unknown>)
    .filter(([key, value]) => !Object.hasOwn(base, key) || !isDeepStrictEqual(base[key], value))
    .map(([key]) => key);
  return extra.length === 0
    ? undefined
    : `${verb} ${extra.join(", ")}, which the fleet file does not set to the same value`;
}

/**
 * Findings for the fleet-only Docker keys of one agent file, and removes from the agent file's tree
 * those its fleet overrides replace anyway. `ref` is the fleet file's `agents[i]` entry.
 */
export function agentFileReachIssues(
  fleetDefaults: SNode | undefined,
  agentFile: SNode,
  overrides: SNode | undefined,
  ref: SNode,
): ConfigIssue[] {
  const docker = getChild(agentFile, "docker");
  if (docker?.kind !== "map") return [];
  const overridden = getChild(overrides, "docker");
  const issues: ConfigIssue[] = [];
  for (const key of FLEET_ONLY_DOCKER_KEYS) {
    const node = docker.entries.get(key);
    if (!node) continue;
    const override = getChild(overridden, key);
    // A list or scalar from the fleet's overrides replaces the agent file's outright.
    if (override && override.kind !== "map") {
      docker.entries.delete(key);
      continue;
    }
    const fleetValue = toPlain(mergeLayers(getChild(getChild(fleetDefaults, "docker"), key), override));
    const widening = WIDENS[key](toPlain(node), fleetValue);
    if (widening === undefined) continue;
    docker.entries.delete(key);
    issues.push(widenIssue(key, node, widening, ref));
  }
  return issues;
}

function widenIssue(key: FleetOnlyKey, node: SNode, widening: string, ref: SNode): ConfigIssue {
  const entry = originIssue(ref.origin, "");
  // Values of env and host_config, or from secret-named variables, stay out of the message.
  let secret = false;
  walkScalars(node, (leaf) => {
    secret ||= leaf.secret === true;
  });
  const value =
    secret || key === "env" || key === "host_config" ? "<the value written here>" : q(toPlain(node));
  return originIssue(node.origin, `"${key}" can only be set in the fleet file: this agent file ${widening}`, {
    at: "key",
    hint:
      `move it to this agent's entry ${formatPath(ref.origin.path)} in ${entry.file}:${entry.line} as ` +
      `overrides: { docker: { ${key}: ${value} } } (or to defaults.docker for every agent) and delete it here; ` +
      "agent files live where the agent can write, so they may only repeat or narrow what the fleet file grants",
  });
}
