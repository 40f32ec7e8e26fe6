// What a short-lived command needs before it knows whether it needs the rest: the state store,
// the daemon's control client, config discovery, ids and error classes. Each comes straight from
// its own module, so a bundler can load this without the config schemas, the fleet manager or
// the runtimes. Everything here is also exported by @herdctl/core/internal. The CLI's bundle
// imports the modules themselves (`@herdctl/core/internal/<module>`): esbuild puts every module a
// barrel re-exports in the chunks of whoever imports one name from it.

export { AgentInstallError } from "./agent-install/errors.js";
export { AgentScaffoldError } from "./agent-scaffold/errors.js";
export { localUserActor } from "./audit/actor.js";
export { findConfigFile, resolveConfigPath } from "./config/discover.js";
export { parseDuration } from "./config/duration.js";
export { ConfigError, formatIssue } from "./config/errors.js";
export { ControlClient } from "./control/client.js";
export { ControlError } from "./control/control-error.js";
export { DockerError } from "./docker/errors.js";
export { buildCommandFor, DEV_IMAGE, IMAGE_PROFILES } from "./docker/profiles.js";
export { DEFAULT_IMAGE } from "./docker/runtime-image.js";
export { FleetError } from "./fleet-manager/errors.js";
export {
  GITHUB_DELIVERY_HEADER,
  GITHUB_SIGNATURE_HEADER,
  signBody,
  timestampedHeaders,
} from "./hooks/signature.js";
export { resolveClaudeBinary } from "./runner/runtime/claude-binary.js";
export { RuntimeError } from "./runner/runtime/errors.js";
export { describeToolFailures } from "./runner/tool-failures.js";
export { CREDENTIAL_ENV_NAMES } from "./secrets/redactor.js";
export { adoptionCandidates, adoptSession } from "./sessions/adopt.js";
export { SessionError } from "./sessions/errors.js";
export { StateError } from "./state/errors.js";
export { isAgentName, isApprovalId, isJobId, isSessionId, isWakeId } from "./state/ids.js";
export { isTerminalStatus, JOB_STATUSES } from "./state/job-status.js";
export { StateManager } from "./state/manager.js";
export { nearestNames } from "./util/nearest.js";
export { ownValue } from "./util/own.js";
