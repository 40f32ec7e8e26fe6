// Reading and editing fleet files: YAML and the zod schemas, the largest part of start-up when
// loaded eagerly.
export { envValue } from "@herdctl/core/internal/config/env-refs";
export { loadFleet } from "@herdctl/core/internal/config/load";
export { redactConfig } from "@herdctl/core/internal/config/redact";
export { NAME_PATTERN } from "@herdctl/core/internal/config/schema";
export { withWrittenValues } from "@herdctl/core/internal/config/written";
export { fixConfigFiles } from "@herdctl/core/internal/config-fix/fix";
export { workspaceAccessProblem } from "@herdctl/core/internal/runner/runtime/workspace-access";
export { editSchedule } from "@herdctl/core/internal/schedule-edit/edit";
export { ScheduleEditError } from "@herdctl/core/internal/schedule-edit/errors";
// `config show` prints the fleet as YAML. A static import: the bundle gives a dynamic import of
// this CommonJS package no named exports.
export { stringify } from "yaml";
