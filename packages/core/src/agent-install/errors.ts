export type AgentInstallCode =
  /** The `<source>` argument, `--path` or `--name` is malformed. */
  | "AGENT_BAD_REQUEST"
  /** git could not fetch the repository (missing, unreachable, needs credentials). */
  | "AGENT_FETCH_FAILED"
  /** The `#ref` names no branch, tag or commit of the repository. */
  | "AGENT_REF_NOT_FOUND"
  /** The repository holds something herdctl will not install (a symlink, a special file, too much data). */
  | "AGENT_UNSAFE"
  /** Its agent.yaml is missing or does not load. */
  | "AGENT_INVALID"
  /** Its agent.yaml uses `${VAR}`s that are unset: the fleet would not load with it. */
  | "AGENT_ENV_MISSING"
  /** The fleet already has an agent, or a folder, by that name. */
  | "AGENT_EXISTS"
  /** `agent remove` of an agent the root fleet file does not list. */
  | "AGENT_NOT_LISTED"
  /** The fleet file's `agents:` is laid out in a way herdctl will not rewrite. */
  | "AGENT_FLEET_NOT_EDITABLE"
  /** The `.herdctl-source.json` record is not readable JSON. */
  | "AGENT_RECORD_UNREADABLE";

export class AgentInstallError extends Error {
  constructor(
    readonly code: AgentInstallCode,
    message: string,
  ) {
    super(message);
    this.name = "AgentInstallError";
  }
}
