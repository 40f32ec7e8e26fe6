import { isAbsolute, relative, resolve, sep } from "node:path";
import { DockerError } from "../../docker/errors.js";
import { CONTAINER_CLAUDE_DIR, CONTAINER_WORKSPACE, IMAGE_HOME } from "../../docker/runtime-image.js";
import type { ContainerManager } from "./container-manager.js";
import type { LaunchedProcess, Launcher, LaunchOptions } from "./launcher.js";

/** Host-only variables that would mislead a process inside the container. */
const HOST_ONLY_ENV = new Set([
  "PATH",
  "HOME",
  "PWD",
  "OLDPWD",
  "SHELL",
  "TMPDIR",
  "USER",
  "LOGNAME",
  "CLAUDE_CONFIG_DIR",
]);

/** Runs claude inside an agent's container through `docker exec`. */
export class ContainerLauncher implements Launcher {
  private readonly workingDirectory: string;

  constructor(
    private readonly manager: ContainerManager,
    readonly containerId: string,
    workingDirectory: string,
    private readonly containerWorkspace: string = CONTAINER_WORKSPACE,
    /** Per-exec extras the container must not keep, e.g. EnsuredContainer.credentialEnv. */
    private readonly execEnv: Record<string, string> = {},
  ) {
    this.workingDirectory = resolve(workingDirectory);
  }

  /** Host paths under the working directory → /workspace; anything else cannot be seen inside. */
  mapPath(hostPath: string): string {
    if (hostPath === this.containerWorkspace || hostPath.startsWith(`${this.containerWorkspace}/`))
      return hostPath;
    const rel = relative(this.workingDirectory, resolve(hostPath));
    if (rel === "") return this.containerWorkspace;
    if (rel.startsWith("..") || isAbsolute(rel)) {
      throw new DockerError({
        code: "DOCKER_PATH_UNMAPPED",
        path: hostPath,
        workingDirectory: this.workingDirectory,
      });
    }
    return `${this.containerWorkspace}/${rel.split(sep).join("/")}`;
  }

  spawn(command: string, args: readonly string[], options: LaunchOptions): LaunchedProcess {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.env)) if (!HOST_ONLY_ENV.has(key)) env[key] = value;
    Object.assign(env, this.execEnv, { HOME: IMAGE_HOME, CLAUDE_CONFIG_DIR: CONTAINER_CLAUDE_DIR });
    return this.manager.exec(this.containerId, command, args, {
      ...options,
      cwd: this.mapPath(options.cwd),
      env,
    });
  }
}
