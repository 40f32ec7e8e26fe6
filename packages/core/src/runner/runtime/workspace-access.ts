import { statSync } from "node:fs";
import type { ResolvedAgent } from "../../config/index.js";
import { resolveDockerConfig } from "./docker-config.js";

/** A Docker agent whose container user cannot write the working directory mounted at /workspace. */
export interface WorkspaceAccessProblem {
  readonly agent: string;
  readonly directory: string;
  /** "uid:gid" of the directory's owner. */
  readonly owner: string;
  /** Permission bits in octal, e.g. "755". */
  readonly mode: string;
  /** "uid:gid" the agent runs as in its container. */
  readonly containerUser: string;
  /** What to do about it. */
  readonly fix: string;
  /** The whole warning, with the fix, for people. */
  readonly message: string;
}

/** The directory as one shell word, so the printed fix can be pasted as is. */
function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

function canWrite(stat: { uid: number; gid: number; mode: number }, uid: number, gid: number): boolean {
  if (stat.uid === uid) return (stat.mode & 0o200) !== 0;
  if (stat.gid === gid) return (stat.mode & 0o020) !== 0;
  return (stat.mode & 0o002) !== 0;
}

/**
 * Whether a Docker agent's tool calls will be refused writing its workspace (EACCES): herdctl
 * running as root with a root-owned folder gives a container user of 1000:1000 that may not
 * write there. Read-only workspaces and a container root ("0:0", asked for) are not checked;
 * neither is an agent whose docker block or folder is broken, which other checks report.
 */
export function workspaceAccessProblem(agent: ResolvedAgent): WorkspaceAccessProblem | undefined {
  if (agent.docker?.enabled !== true) return undefined;
  const directory = agent.working_directory;
  let user: string;
  let workspaceMode: string;
  try {
    ({ user, workspaceMode } = resolveDockerConfig(agent.docker, undefined, { workingDirectory: directory }));
  } catch {
    return undefined;
  }
  if (workspaceMode === "ro") return undefined;
  const [uid = 0, gid = uid] = user.split(":").map(Number);
  if (uid === 0) return undefined;
  let stat: { uid: number; gid: number; mode: number };
  try {
    stat = statSync(directory);
  } catch {
    return undefined;
  }
  if (canWrite(stat, uid, gid)) return undefined;
  const owner = `${stat.uid}:${stat.gid}`;
  const mode = (stat.mode & 0o777).toString(8);
  const fix =
    `chown -R ${user} ${shellWord(directory)}, or set docker.user in the fleet file ` +
    "(defaults.docker.user or agents[].overrides.docker.user)";
  return {
    agent: agent.name,
    directory,
    owner,
    mode,
    containerUser: user,
    fix,
    message:
      `agent ${agent.name}: its working directory ${directory} is owned by ${owner} with mode ${mode}, and ` +
      `its container runs as ${user}, which cannot write there: tool calls that write will fail with ` +
      `EACCES. Fix: ${fix}`,
  };
}
