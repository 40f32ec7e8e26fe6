import { AgentInstallError } from "@herdctl/core/internal/agent-install/errors";
import { AgentScaffoldError } from "@herdctl/core/internal/agent-scaffold/errors";
import { ConfigError } from "@herdctl/core/internal/config/errors";
import { ControlError } from "@herdctl/core/internal/control/control-error";
import { DockerError } from "@herdctl/core/internal/docker/errors";
import { FleetError } from "@herdctl/core/internal/fleet-manager/errors";
import { RuntimeError } from "@herdctl/core/internal/runner/runtime/errors";
import { SessionError } from "@herdctl/core/internal/sessions/errors";
import { StateError } from "@herdctl/core/internal/state/errors";

/** A failure the user can fix; printed without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** A mistake in how the command was called (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = "UsageError";
  }
}

/** Errors whose message is written for users; anything else is a bug and shows its stack with -v. */
export function isUserFacing(error: unknown): error is Error {
  return (
    error instanceof CliError ||
    error instanceof AgentInstallError ||
    error instanceof AgentScaffoldError ||
    error instanceof ConfigError ||
    error instanceof StateError ||
    error instanceof RuntimeError ||
    error instanceof DockerError ||
    // By name: importing their classes here would load the web server and the config schemas
    // (which Docker settings are checked against) for every command.
    (error instanceof Error && (error.name === "WebError" || error.name === "DockerConfigError")) ||
    error instanceof FleetError ||
    error instanceof SessionError ||
    error instanceof ControlError
  );
}

export function exitCodeFor(error: unknown): number {
  return error instanceof CliError ? error.exitCode : 1;
}
