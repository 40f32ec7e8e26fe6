import type { ResolvedAgent } from "../../config/index.js";
import { CLIRuntime } from "./cli-runtime.js";
import { ContainerRunner } from "./container-runner.js";
import { resolveDockerConfig } from "./docker-config.js";
import { RuntimeError } from "./errors.js";
import type { RuntimeInterface, RuntimeType } from "./interface.js";
import { SDKRuntime } from "./sdk-runtime.js";

export interface RuntimeFactoryOptions {
  /** The fleet's state directory (.herdctl/); Docker agents keep their sessions under it. */
  stateDir: string;
  /** Host path of the claude executable, for runtimes that run on the host. */
  claudePath?: string;
  /** Shared by every Docker runtime of a fleet, so containers are tracked in one place. */
  containers?: ContainerRunnerDependencies;
  warn?: (message: string) => void;
}

export type ContainerRunnerDependencies = ConstructorParameters<typeof ContainerRunner>[3];

/** The one place a runtime is made: every caller goes through here. */
export class RuntimeFactory {
  static create(agent: ResolvedAgent, options: RuntimeFactoryOptions): RuntimeInterface {
    const type: RuntimeType = agent.runtime ?? "sdk";
    let runtime: RuntimeInterface;
    switch (type) {
      case "sdk":
        runtime = new SDKRuntime({ claudePath: options.claudePath });
        break;
      case "cli":
        runtime = new CLIRuntime({ claudePath: options.claudePath });
        break;
      default:
        throw new RuntimeError({
          reason: "invalid_option",
          runtime: String(type),
          detail: `unknown runtime "${String(type)}" for agent ${agent.name}; use "sdk" (the default) or "cli"`,
        });
    }
    if (agent.docker?.enabled) {
      const dockerConfig = resolveDockerConfig(agent.docker, undefined, {
        workingDirectory: agent.working_directory,
        warn: options.warn,
      });
      runtime = new ContainerRunner(runtime, dockerConfig, options.stateDir, options.containers);
    }
    return runtime;
  }
}
