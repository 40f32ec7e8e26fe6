import { accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import type { LoadedFleet } from "@herdctl/core";
import { buildCommandFor } from "@herdctl/core/internal/docker/profiles";
import { DEFAULT_IMAGE } from "@herdctl/core/internal/docker/runtime-image";
import { resolveClaudeBinary } from "@herdctl/core/internal/runner/runtime/claude-binary";
import { StateManager } from "@herdctl/core/internal/state/manager";
import type { Command } from "commander";
import { CommandContext } from "../context.js";

export type CheckStatus = "ok" | "warn" | "fail";

export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

// node:child_process, node:os and node:util are loaded by doctor alone: every command pays for what
// the command modules import at their top.
async function run(file: string, args: string[], options: { timeout: number }) {
  const { execFile } = await import("node:child_process");
  const { promisify } = await import("node:util");
  return promisify(execFile)(file, args, options);
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

async function checkConfig(ctx: CommandContext): Promise<{ check: Check; fleet?: LoadedFleet }> {
  try {
    const fleet = await ctx.fleet();
    const n = fleet.agents.length;
    const warnings = fleet.warnings.length;
    return {
      fleet,
      check: {
        name: "config",
        // Warnings (an unset secret variable, a risky Docker setting) are printed above the checks.
        status: warnings ? "warn" : "ok",
        detail:
          `${fleet.configPath}: fleet ${fleet.fleet.name}, ${n} agent${n === 1 ? "" : "s"}` +
          (warnings ? `; ${warnings} warning${warnings === 1 ? "" : "s"} above` : ""),
      },
    };
  } catch (error) {
    return {
      check: {
        name: "config",
        status: "fail",
        detail: message(error),
        fix: 'run "herdctl config validate" to list every problem, or "herdctl init" to create a fleet',
      },
    };
  }
}

async function checkClaude(fleet: LoadedFleet | undefined): Promise<Check> {
  let path: string;
  try {
    path = resolveClaudeBinary(fleet?.fleet.claude_path);
  } catch (error) {
    return {
      name: "claude",
      status: "fail",
      detail: message(error),
      fix: "install Claude Code (npm install -g @anthropic-ai/claude-code) or set defaults.claude_path",
    };
  }
  try {
    const { stdout } = await run(path, ["--version"], { timeout: 15_000 });
    return { name: "claude", status: "ok", detail: `${path} (${stdout.trim()})` };
  } catch (error) {
    return {
      name: "claude",
      status: "fail",
      detail: `${path} --version failed: ${message(error)}`,
      fix: "reinstall Claude Code, or point defaults.claude_path at a working claude",
    };
  }
}

/** Reports which credential is there, never its value. */
function checkCredentials(env: NodeJS.ProcessEnv, home: string): Check {
  const names = ["ANTHROPIC_API_KEY", "CLAUDE_CODE_OAUTH_TOKEN", "ANTHROPIC_AUTH_TOKEN"].filter(
    (n) => env[n],
  );
  if (names.length) return { name: "credentials", status: "ok", detail: `${names.join(", ")} set` };
  const configDir = env.CLAUDE_CONFIG_DIR || join(home, ".claude");
  const login = join(configDir, ".credentials.json");
  if (existsSync(login))
    return { name: "credentials", status: "ok", detail: `claude login found (${login})` };
  return {
    name: "credentials",
    status: "fail",
    detail: "no ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN in the environment, and no claude login",
    fix: 'export ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN from "claude setup-token"); --offline runs need none',
  };
}

async function checkDocker(fleet: LoadedFleet | undefined): Promise<Check[]> {
  if (!fleet)
    return [{ name: "docker", status: "warn", detail: "not checked: the fleet config did not load" }];
  const agents = fleet.agents.filter((a) => a.docker?.enabled);
  if (agents.length === 0)
    return [{ name: "docker", status: "ok", detail: "not needed (no agent has docker.enabled)" }];
  const { ContainerManager } = await import("../on-demand/docker.js");
  const manager = new ContainerManager();
  try {
    await manager.ping();
  } catch (error) {
    return [
      {
        name: "docker",
        status: "fail",
        detail: message(error),
        fix: `start the Docker engine; ${agents.map((a) => a.name).join(", ")} need${agents.length === 1 ? "s" : ""} it`,
      },
    ];
  }
  const checks: Check[] = [{ name: "docker", status: "ok", detail: "engine answers" }];
  const images = [...new Set(agents.map((a) => a.docker?.image ?? DEFAULT_IMAGE))];
  for (const image of images) {
    try {
      await manager.docker.getImage(image).inspect();
      checks.push({ name: "image", status: "ok", detail: image });
    } catch (error) {
      checks.push({
        name: "image",
        status: "fail",
        detail: `${image}: ${message(error)}`,
        fix: buildFix(image),
      });
    }
  }
  return checks;
}

function buildFix(image: string): string {
  const build = buildCommandFor(image);
  return build
    ? `${build.offline} (no registry needed), or ${build.online}`
    : `docker pull ${image}, or build it`;
}

/** Docker agents whose container user cannot write the mounted working directory. */
async function checkWorkspaces(fleet: LoadedFleet | undefined): Promise<Check[]> {
  const { workspaceAccessProblem } = await import("../on-demand/fleet-config.js");
  return (fleet?.agents ?? []).flatMap((agent) => {
    const problem = workspaceAccessProblem(agent);
    if (!problem) return [];
    return [
      {
        name: "workspace",
        status: "warn" as const,
        detail: `${problem.agent}: ${problem.directory} is owned by ${problem.owner} (mode ${problem.mode}); its container runs as ${problem.containerUser} and cannot write there (tool calls fail with EACCES)`,
        fix: problem.fix,
      },
    ];
  });
}

/** The state directory's own check, before what is in it: absent (fine) or not writable. */
function checkDirWritable(dir: string, absent: string): Check | undefined {
  if (!existsSync(dir)) return { name: "state", status: "ok", detail: `${dir} (${absent})` };
  try {
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch {
    return {
      name: "state",
      status: "fail",
      detail: `${dir} is not writable`,
      fix: `fix the permissions of ${dir}`,
    };
  }
}

function checkState(dir: string): Check {
  const dirCheck = checkDirWritable(dir, "not created yet; the first job creates it");
  if (dirCheck) return dirCheck;
  const state = new StateManager(dir);
  try {
    state.open();
    const problems = state.integrityCheck();
    if (problems.length)
      return {
        name: "state",
        status: "fail",
        detail: `${state.dbPath} fails its integrity check: ${problems.slice(0, 3).join("; ")}`,
        fix: `move it aside (mv ${state.dbPath} ${state.dbPath}.corrupt) or restore a backup`,
      };
    return { name: "state", status: "ok", detail: `${state.dbPath} (integrity ok)` };
  } catch (error) {
    return { name: "state", status: "fail", detail: message(error), fix: "see the message above" };
  } finally {
    state.close();
  }
}

/** The oldest server herdctl runs on: the leader lock relies on `idle_session_timeout` (14). */
const PG_MIN_VERSION = 140_000;

/**
 * The fleet's PostgreSQL, read only (no schema is made here): reachable with the fleet's
 * credentials, a server version herdctl runs on, and a schema this herdctl understands. Shows
 * the server without its password; a failure's message comes from SyncPgClient, which never
 * repeats the URL.
 */
async function checkPostgres(url: string): Promise<Check> {
  const { pgUrlProblem, showPgUrl } = await import("@herdctl/core/internal/state/pg/url");
  const problem = pgUrlProblem(url);
  if (problem)
    return { name: "postgres", status: "fail", detail: `state.url ${problem.message}`, fix: problem.hint };
  const { SyncPgClient } = await import("@herdctl/core/internal/state/pg/sync-client");
  const { PG_MIGRATIONS, pgSchemaVersion } = await import("@herdctl/core/internal/state/pg/schema");
  let client: InstanceType<typeof SyncPgClient> | undefined;
  try {
    client = new SyncPgClient(url, { connectTimeoutMs: 5_000, statementTimeoutMs: 5_000 });
    const { rows } = client.query<{ num: string; version: string }>(
      "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version",
    );
    const version = `PostgreSQL ${rows[0]!.version.split(" ")[0]}`;
    if (Number(rows[0]!.num) < PG_MIN_VERSION)
      return {
        name: "postgres",
        status: "fail",
        detail: `${client.server}: ${version}; herdctl needs 14 or newer (its leader lock uses idle_session_timeout)`,
        fix: "upgrade the server, or point state.url at one that is 14 or newer",
      };
    const known = PG_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
    const schema = pgSchemaVersion(client);
    if (schema > known)
      return {
        name: "postgres",
        status: "fail",
        detail: `${client.server}: ${version}, schema version ${schema}, newer than this herdctl's ${known}`,
        fix: "upgrade herdctl on this machine to the version the other machines run",
      };
    const note =
      schema === 0
        ? "no herdctl schema yet (the first start makes it)"
        : schema < known
          ? `schema version ${schema} (the next start upgrades it to ${known})`
          : `schema version ${schema}`;
    return { name: "postgres", status: "ok", detail: `${client.server}: ${version}, ${note}` };
  } catch (error) {
    // STATE_UNREACHABLE's message already says what to check.
    const unreachable = (error as { code?: unknown }).code === "STATE_UNREACHABLE";
    return {
      name: "postgres",
      status: "fail",
      detail: message(error).replaceAll(url, showPgUrl(url)),
      ...(unreachable
        ? {}
        : { fix: "check state.url, and that this herdctl's version matches the database's" }),
    };
  } finally {
    client?.close();
  }
}

/** A PostgreSQL fleet keeps only job output in the state directory: it must be writable. */
function checkStateDir(dir: string): Check {
  return (
    checkDirWritable(dir, "job output; not created yet") ?? {
      name: "state",
      status: "ok",
      detail: `${dir} (job output; the records are in PostgreSQL)`,
    }
  );
}

export async function runChecks(ctx: CommandContext): Promise<Check[]> {
  const config = await checkConfig(ctx);
  const checks = [
    config.check,
    await checkClaude(config.fleet),
    checkCredentials(process.env, (await import("node:os")).homedir()),
  ];
  checks.push(...(await checkDocker(config.fleet)));
  checks.push(...(await checkWorkspaces(config.fleet)));
  let stateDir: string | undefined;
  try {
    stateDir = ctx.stateDir();
  } catch {}
  const { stateBackendOf } = await import("@herdctl/core/internal/state/manager");
  const backend = stateBackendOf(config.fleet?.fleet.state);
  if (backend.kind === "postgres") {
    checks.push(await checkPostgres(backend.url));
    if (stateDir) checks.push(checkStateDir(stateDir));
    return checks;
  }
  checks.push(
    stateDir
      ? checkState(stateDir)
      : { name: "state", status: "warn", detail: "not checked: no fleet file to find it by" },
  );
  return checks;
}

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description("check that everything herdctl needs is in place")
    .action(async (_options: unknown, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const checks = await runChecks(ctx);
      const ok = checks.every((c) => c.status !== "fail");
      if (!ok) process.exitCode = 1;
      if (ctx.json) {
        ctx.printJson({ ok, checks });
        return;
      }
      const colour = { ok: ctx.out.green, warn: ctx.out.yellow, fail: ctx.out.red };
      const width = Math.max(...checks.map((c) => c.name.length));
      for (const c of checks) {
        ctx.print(`${colour[c.status](c.status.padEnd(4))}  ${c.name.padEnd(width)}  ${c.detail}`);
        if (c.fix) ctx.print(`      ${" ".repeat(width)}  ${ctx.out.dim(`fix: ${c.fix}`)}`);
      }
    });
}
