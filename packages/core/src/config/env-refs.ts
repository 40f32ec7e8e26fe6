import type { ConfigIssue } from "./errors.js";
import { getChild, issueAt, type Segment, type SNode, walkScalars } from "./source.js";
import type { LoadedFleet } from "./types.js";

/**
 * Keys whose value is the *name* of an environment variable holding a secret, with what stops
 * working while that variable is unset. Paths are relative to the file's root mapping.
 */
const AGENT_REFERENCES: Array<{ matches: (path: Segment[]) => boolean; effect: string }> = [
  {
    matches: (p) => p.length === 3 && p[0] === "schedules" && p[2] === "secret_env",
    effect: "calls to this webhook schedule are refused with 503 until it is set",
  },
  {
    matches: (p) => p.length === 4 && p[0] === "hooks" && p[3] === "secret_env",
    effect: "this hook fails without sending until it is set",
  },
];

const FLEET_REFERENCES: Array<{ matches: (path: Segment[]) => boolean; effect: string }> = [
  {
    matches: (p) => p.length === 2 && p[0] === "webhooks" && p[1] === "secret_env",
    effect: "webhook schedules without a secret_env of their own are refused with 503 until it is set",
  },
  {
    matches: (p) => p.length === 2 && p[0] === "web" && p[1] === "auth_token_env",
    effect: "the web server does not start until it is set",
  },
];

/** One value of the environment herdctl reads secrets from: the process's, then `.env` beside the fleet file. */
export function envValue(
  fleet: Pick<LoadedFleet, "dotEnv">,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const own = Object.hasOwn(env, name) ? env[name] : undefined;
  if (own) return own;
  return Object.hasOwn(fleet.dotEnv, name) ? fleet.dotEnv[name] : undefined;
}

/**
 * Warnings for every `*_env` key in an agent (`scope: "agent"`) or root fleet file whose variable
 * is unset or empty in `env` (the process environment merged over `.env`).
 */
export function unsetEnvReferences(
  root: SNode,
  env: NodeJS.ProcessEnv,
  scope: "agent" | "fleet",
): ConfigIssue[] {
  const references = scope === "agent" ? AGENT_REFERENCES : FLEET_REFERENCES;
  const issues: ConfigIssue[] = [];
  walkScalars(root, (leaf, path) => {
    if (typeof leaf.value !== "string" || leaf.value === "") return;
    const reference = references.find((r) => r.matches(path));
    if (!reference || (Object.hasOwn(env, leaf.value) && env[leaf.value])) return;
    issues.push(
      issueAt(root, path, `${leaf.value} is not set in the environment or in .env beside the fleet file`, {
        hint: `${reference.effect}: export ${leaf.value}, or add a ${leaf.value}=... line to .env`,
      }),
    );
  });
  return issues;
}

/**
 * Warnings for an agent's webhook schedules that have no secret at all: no `secret_env` of their
 * own and none under the fleet's `webhooks:`. Every call to them is refused with 503.
 */
export function webhooksWithoutSecret(agent: SNode, fleetHasSecret: boolean): ConfigIssue[] {
  const schedules = getChild(agent, "schedules");
  if (fleetHasSecret || schedules?.kind !== "map") return [];
  const issues: ConfigIssue[] = [];
  for (const [name, schedule] of schedules.entries) {
    const type = getChild(schedule, "type");
    if (type?.kind !== "scalar" || type.value !== "webhook" || getChild(schedule, "secret_env")) continue;
    issues.push(
      issueAt(
        agent,
        ["schedules", name],
        "this webhook schedule has no secret, so every call to it is refused with 503",
        {
          at: "key",
          hint: "add secret_env: <VARIABLE> to it, or webhooks: { secret_env: <VARIABLE> } to the fleet file",
        },
      ),
    );
  }
  return issues;
}
