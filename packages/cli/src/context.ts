import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { ConfigIssue, LoadedFleet, ResolvedAgent } from "@herdctl/core";
import { findConfigFile, resolveConfigPath } from "@herdctl/core/internal/config/discover";
// The state store (and better-sqlite3 with it) loads when a command opens it: a command answered by
// the daemon (`status` while one runs) does without.
import type { StateBackend, StateManager } from "@herdctl/core/internal/state/manager";
import { nearestNames } from "@herdctl/core/internal/util/nearest";
import { CliError } from "./errors.js";
import { createStyle, type Style } from "./output/style.js";

export interface GlobalOptions {
  config?: string;
  state?: string;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
}

/** What every command gets: parsed global flags, output streams and lazy access to fleet and state. */
export class CommandContext {
  readonly out: Style;
  readonly err: Style;
  private fleetCache: LoadedFleet | undefined;
  /**
   * Set by a command that may take the fleet the last in-process trigger kept (fleet-cache.ts)
   * instead of parsing the files.
   */
  keptFleetAllowed = false;
  /** Whether fleet() took the kept fleet (true) or parsed the files (false); undefined before it ran. */
  fleetWasKept: boolean | undefined;

  constructor(
    readonly options: GlobalOptions,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
    readonly cwd: string = process.cwd(),
  ) {
    this.out = createStyle(stdout, options.color === false);
    this.err = createStyle(stderr, options.color === false);
  }

  get json(): boolean {
    return this.options.json === true;
  }

  print(text = ""): void {
    this.stdout.write(`${text}\n`);
  }

  printJson(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${this.err.yellow("warning:")} ${text}\n`);
  }

  /** The fleet file: -c FILE|DIR, else the nearest herdctl.yaml above the current directory. */
  configPath(): string {
    if (this.options.config) return resolveConfigPath(resolve(this.cwd, this.options.config));
    const found = findConfigFile(this.cwd);
    if (!found) {
      throw new CliError(
        `no herdctl.yaml found in ${this.cwd} or any folder above it; run "herdctl init" to create one, or pass -c PATH`,
      );
    }
    return found;
  }

  async fleet(): Promise<LoadedFleet> {
    if (!this.fleetCache) {
      const configPath = this.configPath();
      const kept = this.keptFleetAllowed
        ? (await import("./fleet-cache.js")).cachedFleet(this.stateDir(), configPath)
        : undefined;
      this.fleetWasKept = kept !== undefined;
      this.fleetCache = kept ?? (await (await import("./on-demand/fleet-config.js")).loadFleet(configPath));
      this.warnConfigIssues(this.fleetCache.warnings);
    }
    return this.fleetCache;
  }

  /** The fleet file's warnings, one line each, as every command that reads it prints them. */
  warnConfigIssues(issues: readonly ConfigIssue[]): void {
    for (const w of issues) {
      const where = w.line > 0 ? `${w.file}:${w.line}:${w.col}` : w.file;
      this.warn(`${where}${w.path ? ` ${w.path}` : ""}: ${w.message}`);
    }
  }

  async agent(name: string): Promise<ResolvedAgent> {
    const fleet = await this.fleet();
    const agent = fleet.agents.find((a) => a.name === name);
    if (agent) return agent;
    const names = fleet.agents.map((a) => a.name);
    const hint = names.length
      ? ` Nearest: ${nearestNames(name, names).join(", ")}. Available: ${names.join(", ")}`
      : "";
    throw new CliError(`agent "${name}" not found in ${fleet.configPath}.${hint}`);
  }

  /** -s/--state, else .herdctl beside the fleet file. Does not require a fleet when -s is given. */
  stateDir(): string {
    if (this.options.state) return resolve(this.cwd, this.options.state);
    return join(dirname(this.configPath()), ".herdctl");
  }

  /**
   * Where the fleet keeps its state: its `state.backend` (PostgreSQL at `state.url`), else SQLite
   * in the state directory. A fleet file that never says `backend:` is SQLite without being
   * parsed, so the commands that answer from SQLite stay as fast as before (parsing the fleet
   * costs more than their whole answer). With -s and no fleet file found: SQLite.
   */
  async stateBackend(): Promise<StateBackend> {
    let path: string;
    try {
      path = this.configPath();
    } catch (error) {
      if (this.options.state) return { kind: "sqlite" };
      throw error;
    }
    if (!/\bbackend\s*:/.test(readFileSync(path, "utf8"))) return { kind: "sqlite" };
    const { stateBackendOf } = await import("@herdctl/core/internal/state/manager");
    return stateBackendOf((await this.fleet()).fleet.state);
  }

  /** Short-lived commands skip SQLite's quick_check (the daemon runs it at start) to answer fast. */
  async openState(): Promise<StateManager> {
    const { StateManager } = await import("@herdctl/core/internal/state/manager");
    const state = new StateManager(this.stateDir(), {
      verify: "header",
      notice: (m) => this.warn(m),
      backend: await this.stateBackend(),
    });
    state.open();
    return state;
  }
}
