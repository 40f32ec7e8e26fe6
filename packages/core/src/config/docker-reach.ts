import {
  DockerConfigError,
  type DockerNetwork,
  parseCredentials,
} from "../runner/runtime/docker-config-fields.js";
import type { ConfigIssue } from "./errors.js";
import { getChild, issueAt, type SNode, toPlain } from "./source.js";

/**
 * Docker settings that are each valid but cannot work together, reported at load (with the file
 * and line) instead of when the agent's first job starts.
 */
export function dockerReachIssues(agent: SNode): ConfigIssue[] {
  const docker = toPlain(getChild(agent, "docker")) as Record<string, unknown> | null;
  if (docker === null || typeof docker !== "object" || docker.enabled !== true) return [];
  if (docker.credentials === undefined && docker.network !== "proxy-only") return [];
  try {
    parseCredentials(docker.credentials, (docker.network ?? "bridge") as DockerNetwork);
    return [];
  } catch (error) {
    if (!(error instanceof DockerConfigError)) throw error;
    return [issueAt(agent, ["docker", "credentials"], error.message.replace(/^docker\.credentials: /, ""))];
  }
}
