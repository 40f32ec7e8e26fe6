import { join } from "node:path";
import type { ResolvedAgent } from "../config/index.js";
import { CONTAINER_WORKSPACE } from "../docker/runtime-image.js";
import { buildChildEnv } from "../runner/runtime/child-env.js";
import { assertAgentName } from "../state/index.js";
import { claudeConfigDir, realCwd } from "./transcripts.js";

/** Where an agent's claude keeps and looks for its conversations. */
export interface TranscriptPlace {
  /** claude's config directory as seen from the host. */
  readonly configDir: string;
  /** The working directory as claude sees it (its slug names the project folder). */
  readonly cwd: string;
  readonly docker: boolean;
}

export interface PlaceOptions {
  /** The state directory (Docker agents keep transcripts in its docker-sessions/<agent>). */
  stateDir: string;
  /** What herdctl adds to claude's environment (the executor's `env`). */
  env?: Record<string, string>;
  hostEnv?: Record<string, string | undefined>;
}

/**
 * A host agent's claude runs with the host environment, the agent's `env` and herdctl's own on top,
 * so CLAUDE_CONFIG_DIR is read from the same layers. A Docker agent's config directory is its
 * docker-sessions folder, mounted over the image's ~/.claude, and it runs in /workspace.
 */
export function transcriptPlace(agent: ResolvedAgent, options: PlaceOptions): TranscriptPlace {
  if (agent.docker?.enabled === true) {
    return {
      configDir: join(options.stateDir, "docker-sessions", assertAgentName(agent.name)),
      cwd: CONTAINER_WORKSPACE,
      docker: true,
    };
  }
  const env = buildChildEnv(options.hostEnv ?? process.env, agent, options.env);
  return { configDir: claudeConfigDir(env), cwd: realCwd(agent.working_directory), docker: false };
}
