import type { ConfigIssue } from "./errors.js";
import type { HookListName } from "./isolation.js";
import type { ResolvedPlugin } from "./plugins.js";
import type {
  AgentConfig,
  AgentDockerConfig,
  FleetBudgetConfig,
  FleetDefaults,
  HookConfig,
  RetentionConfig,
  WebConfig,
  WebhooksConfig,
} from "./schema.js";
import type { Segment } from "./source.js";
import type { WrittenValue } from "./written.js";

/** A hook and where it was written: an agent file's shell hook is held to the agent's own privileges. */
export type ResolvedHook = HookConfig & { declaredIn: "fleet" | "agent" };

export interface ResolvedFleet {
  /** `fleet.name`, or the fleet file's folder name. */
  name: string;
  description?: string;
  version: number;
  /** The root fleet's `defaults`, validated (durations in ms). Already merged into every agent. */
  defaults: FleetDefaults;
  web: WebConfig;
  webhooks: WebhooksConfig;
  /** The root fleet file's `budget:` (a sub-fleet's own is not a fleet budget). */
  budget?: FleetBudgetConfig;
  /** The root fleet file's `state.retention` (durations in ms). */
  retention?: RetentionConfig;
  /** The root fleet file's `state.backend` and `state.url`, when it names a backend. `url` is a secret. */
  state?: { backend: "sqlite" | "postgres"; url?: string };
  max_concurrent_jobs?: number;
  /** Absolute when written as a path; a bare command name is left for PATH lookup. */
  claude_path?: string;
}

/** An agent ready to run: fleet defaults, agent file and overrides merged; paths absolute; durations in ms. */
export type ResolvedAgent = Omit<
  AgentConfig,
  "name" | "working_directory" | "docker" | "hooks" | "plugins"
> & {
  /** Qualified: "sub.agent" for an agent of sub-fleet "sub" (nesting adds more prefixes). */
  name: string;
  /** Absolute. Defaults to the agent file's folder; relative paths resolve against the folder of the file that wrote them. */
  working_directory: string;
  /** Absolute path of the agent file. */
  configPath: string;
  /** The root fleet's name for its own agents; the qualifier ("sub", "sub.inner") for sub-fleet agents. */
  fleetName: string;
  /** Fleet defaults + agent file + overrides, merged; Docker defaults are not applied here. */
  docker?: AgentDockerConfig;
  hooks?: Partial<Record<HookListName, ResolvedHook[]>>;
  /** Absolute plugin folders, each checked at load to hold .claude-plugin/plugin.json. */
  plugins?: ResolvedPlugin[];
};

/** A validated fleet: its fleet-wide settings, its agents resolved, and where each came from. */
export interface LoadedFleet {
  configPath: string;
  rootDir: string;
  fleet: ResolvedFleet;
  agents: ResolvedAgent[];
  warnings: ConfigIssue[];
  /**
   * Paths into `{ fleet, agents }` (agents by index) whose value came from a secret-looking env var;
   * segments, never dot-joined, because keys may contain dots.
   */
  secretPaths: Segment[][];
  /** Every secret value this fleet knows of (see secretValuesOf); redacted wherever it lands. */
  secretValues: string[];
  /** Values the schema converted (durations to milliseconds), as written; see withWrittenValues. */
  written: WrittenValue[];
  /**
   * Absolute paths of everything that configures this fleet: fleet and agent files, the .env
   * (whether or not it exists), claude_path, the scripts shell hooks name and plugin folders (a
   * folder protects everything in it). No job may write them.
   */
  protectedPaths: string[];
  /**
   * Variables from the `.env` beside the fleet file that the environment did not already set.
   * They reach claude's environment too (below the agent's own `env`), so a key kept in .env works.
   */
  dotEnv: Record<string, string>;
  /** The text of every YAML file as loaded, by absolute path. */
  sourceTexts: ReadonlyMap<string, string>;
  /** Agent → schedule → where each part of the merged schedule was written (defaults, agent file, overrides). */
  scheduleSources: ReadonlyMap<string, ReadonlyMap<string, ScheduleSource[]>>;
}

export interface ScheduleSource {
  absPath: string;
  /** Key path inside that file, e.g. ["schedules", "poll", "interval"]. */
  path: Segment[];
  line: number;
  col: number;
}
