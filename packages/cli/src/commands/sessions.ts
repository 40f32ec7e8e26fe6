import { existsSync } from "node:fs";
import type { SessionPointer } from "@herdctl/core";
import { DockerError } from "@herdctl/core/internal/docker/errors";
import { DEFAULT_IMAGE } from "@herdctl/core/internal/docker/runtime-image";
import { resolveClaudeBinary } from "@herdctl/core/internal/runner/runtime/claude-binary";
import { CREDENTIAL_ENV_NAMES } from "@herdctl/core/internal/secrets/redactor";
import { isSessionId } from "@herdctl/core/internal/state/ids";
import { StateManager } from "@herdctl/core/internal/state/manager";
import { nearestNames } from "@herdctl/core/internal/util/nearest";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { checkAgentFilter } from "../lookup.js";
import { relativeTime, table } from "../output/format.js";
import { registerSessionsAdopt } from "./sessions-adopt.js";

/** What `sessions resume` runs: a program, its argument array and the folder to run it in. */
export interface ResumePlan {
  command: string;
  args: string[];
  cwd: string;
}

/** claude on this machine, in the session's working directory (claude finds sessions by folder). */
export function hostResumePlan(claudePath: string, session: SessionPointer): ResumePlan {
  return { command: claudePath, args: ["--resume", session.sessionId], cwd: session.workingDirectory };
}

/**
 * claude inside the agent's running container, which already has the workspace and the agent's
 * transcripts mounted where the session was recorded. Credentials go by name only (`-e NAME`), so
 * docker copies them from our environment and their values never appear in a process listing.
 */
export function dockerResumePlan(
  containerId: string,
  session: SessionPointer,
  env: NodeJS.ProcessEnv = process.env,
): ResumePlan {
  const credentials = CREDENTIAL_ENV_NAMES.filter((name) => env[name]).flatMap((name) => ["-e", name]);
  return {
    command: "docker",
    args: ["exec", "-it", ...credentials, containerId, "claude", "--resume", session.sessionId],
    cwd: session.workingDirectory,
  };
}

/** The session a `resume` argument names: a session id, an agent, or the only session there is. */
export function pickSession(sessions: readonly SessionPointer[], wanted: string | undefined): SessionPointer {
  if (sessions.length === 0)
    throw new CliError("there are no sessions yet; run a job first (herdctl trigger AGENT) to start one");
  if (wanted === undefined) {
    if (sessions.length === 1) return sessions[0]!;
    throw new UsageError(
      `several agents have sessions; name one: herdctl sessions resume AGENT (one of: ${sessions.map((s) => s.agent).join(", ")})`,
    );
  }
  const found = isSessionId(wanted)
    ? sessions.find((s) => s.sessionId.toLowerCase() === wanted.toLowerCase())
    : sessions.find((s) => s.agent === wanted);
  if (found) return found;
  const names = sessions.map((s) => s.agent);
  throw new CliError(
    isSessionId(wanted)
      ? `no agent's current session is ${wanted}; list them with "herdctl sessions"`
      : `no session for agent "${wanted}". Nearest: ${nearestNames(wanted, names).join(", ")}. Agents with sessions: ${names.join(", ")}`,
  );
}

async function planFor(ctx: CommandContext, session: SessionPointer): Promise<ResumePlan> {
  if (!existsSync(session.workingDirectory))
    throw new CliError(`the session's working directory ${session.workingDirectory} no longer exists`);
  const fleet = await ctx.fleet();
  if (!session.docker) return hostResumePlan(resolveClaudeBinary(fleet.fleet.claude_path), session);
  const { ContainerManager } = await import("../on-demand/docker.js");
  const manager = new ContainerManager();
  try {
    const containers = await manager.listFleetContainers(fleet.fleet.name);
    // Not a warm container: it is kept for the agent's next job alone.
    const running = containers.find((c) => c.agent === session.agent && c.state === "running" && !c.warm);
    if (running) return dockerResumePlan(running.id, session);
  } catch (error) {
    if (!(error instanceof DockerError)) throw error;
    throw new CliError(
      `session ${session.sessionId} ran in Docker, and Docker is not answering: ${error.message}`,
    );
  }
  const agent = fleet.agents.find((a) => a.name === session.agent);
  const image = agent?.docker?.image ?? DEFAULT_IMAGE;
  const dir = new StateManager(ctx.stateDir()).agentDockerSessionsDir(session.agent);
  throw new CliError(
    `session ${session.sessionId} ran in Docker and no container of ${session.agent} is running. ` +
      `Run a job (herdctl trigger ${session.agent}) with docker.ephemeral: false to keep one, or open the session in a throwaway container:\n` +
      `  docker run -it --rm -v ${shellQuote(`${session.workingDirectory}:/workspace`)} -v ${shellQuote(`${dir}:/home/herdctl/.claude`)} ` +
      `-e CLAUDE_CONFIG_DIR=/home/herdctl/.claude -e ANTHROPIC_API_KEY -w /workspace ${shellQuote(image)} claude --resume ${session.sessionId}`,
  );
}

export function registerSessions(program: Command): void {
  const sessions = program
    .command("sessions")
    .description("the Claude session each agent continues; resume one interactively")
    .option("-a, --agent <name>", "only this agent")
    .action(async (options: { agent?: string }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const state = await ctx.openState();
      try {
        if (options.agent !== undefined) await checkAgentFilter(ctx, state, options.agent);
        const list = state.sessions
          .list()
          .filter((s) => options.agent === undefined || s.agent === options.agent);
        if (ctx.json) {
          ctx.printJson({ sessions: list });
          return;
        }
        if (list.length === 0) {
          ctx.print("no sessions yet");
          return;
        }
        ctx.print(
          table(
            ["AGENT", "SESSION", "RUNTIME", "DOCKER", "WORKING DIRECTORY", "LAST USED"],
            list.map((s) => [
              s.agent,
              s.sessionId,
              s.runtime,
              s.docker ? "yes" : "no",
              s.workingDirectory,
              relativeTime(s.lastUsedAt),
            ]),
          ),
        );
      } finally {
        state.close();
      }
    });

  registerSessionsAdopt(sessions);

  sessions
    .command("resume")
    .description("open an interactive claude --resume on a session, where it ran")
    .argument("[id-or-agent]", "session id or agent name (optional when only one agent has a session)")
    .option("--print", "print the command instead of running it")
    .action(async (wanted: string | undefined, options: { print?: boolean }, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const state = await ctx.openState();
      let session: SessionPointer;
      try {
        session = pickSession(state.sessions.list(), wanted);
      } finally {
        state.close();
      }
      const plan = await planFor(ctx, session);
      if (options.print || ctx.json) {
        if (ctx.json) ctx.printJson({ session, ...plan });
        else
          ctx.print(
            `cd ${shellQuote(plan.cwd)} && ${[plan.command, ...plan.args].map(shellQuote).join(" ")}`,
          );
        return;
      }
      process.exitCode = await run(plan);
    });
}

/** For showing a command to copy into a shell; never used to run anything. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

// node:child_process is loaded only here: every command pays for what command modules import.
async function run(plan: ResumePlan): Promise<number> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn(plan.command, plan.args, { cwd: plan.cwd, stdio: "inherit" });
    // The interactive claude owns the terminal; Ctrl-C is for it, not for us.
    const ignore = () => {};
    process.on("SIGINT", ignore);
    child.on("error", (error) => {
      process.off("SIGINT", ignore);
      reject(new CliError(`could not start ${plan.command}: ${error.message}`));
    });
    child.on("exit", (code, signal) => {
      process.off("SIGINT", ignore);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
