import type { Adoption, AdoptionCandidates } from "@herdctl/core/internal";
import { adoptionCandidates, adoptSession } from "@herdctl/core/internal/sessions/adopt";
import { isSessionId } from "@herdctl/core/internal/state/ids";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { daemonClient } from "../daemon.js";
import { UsageError } from "../errors.js";
import { relativeTime, table } from "../output/format.js";
import { visible } from "../output/terminal-text.js";

/** Through the daemon when one runs (it knows the environment its jobs' claude gets), else here. */
async function candidates(ctx: CommandContext, agentName: string): Promise<AdoptionCandidates> {
  const client = await daemonClient(ctx);
  if (client)
    return client.call<AdoptionCandidates>(
      "GET",
      `/api/agents/${encodeURIComponent(agentName)}/sessions/candidates`,
    );
  const [agent, fleet] = [await ctx.agent(agentName), await ctx.fleet()];
  const state = await ctx.openState();
  try {
    return adoptionCandidates(state, agent, { stateDir: state.stateDir, env: fleet.dotEnv });
  } finally {
    state.close();
  }
}

async function adopt(ctx: CommandContext, agentName: string, sessionId: string): Promise<Adoption> {
  const client = await daemonClient(ctx);
  if (client)
    return client.call<Adoption>("POST", `/api/agents/${encodeURIComponent(agentName)}/sessions/adopt`, {
      sessionId,
    });
  const [agent, fleet] = [await ctx.agent(agentName), await ctx.fleet()];
  const state = await ctx.openState();
  try {
    return adoptSession(state, agent, sessionId, { stateDir: state.stateDir, env: fleet.dotEnv });
  } finally {
    state.close();
  }
}

function printCandidates(ctx: CommandContext, agentName: string, found: AdoptionCandidates): void {
  if (found.sessions.length === 0) {
    ctx.print(
      `no Claude Code sessions in ${found.searched}; start one with claude in the agent's working directory`,
    );
    return;
  }
  ctx.print(
    table(
      ["SESSION", "MODIFIED", "SIZE", "FIRST PROMPT"],
      found.sessions.map((s) => [
        s.sessionId === found.current ? `${s.sessionId} (current)` : s.sessionId,
        relativeTime(s.modifiedAt),
        `${Math.ceil(s.bytes / 1024)} KiB`,
        // Transcripts hold whatever was typed or pasted: no terminal escapes reach the screen.
        visible(s.firstPrompt ?? ""),
      ]),
    ),
  );
  ctx.print(`from ${found.searched}`);
  ctx.print(`adopt one with: herdctl sessions adopt ${agentName} SESSION-ID`);
}

export function registerSessionsAdopt(sessions: Command): void {
  sessions
    .command("adopt")
    .description(
      "let an agent's next job resume a Claude Code session started by hand in its working directory",
    )
    .argument("<agent>", "the agent that takes the session over")
    .argument("[session-id]", "the session to adopt; without it, lists the sessions there are")
    .action(async (agentName: string, sessionId: string | undefined, _options: unknown, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      if (sessionId === undefined) {
        const found = await candidates(ctx, agentName);
        if (ctx.json) ctx.printJson(found);
        else printCandidates(ctx, agentName, found);
        return;
      }
      if (!isSessionId(sessionId))
        throw new UsageError(
          `"${visible(sessionId)}" is not a session id; session ids are UUIDs. List the ones there are: herdctl sessions adopt ${agentName}`,
        );
      const adopted = await adopt(ctx, agentName, sessionId);
      if (ctx.json) {
        ctx.printJson(adopted);
        return;
      }
      if (adopted.copiedFrom) ctx.print(`copied ${adopted.copiedFrom} into the agent's Docker sessions`);
      if (adopted.replaced) ctx.print(`agent ${agentName} no longer continues session ${adopted.replaced}`);
      ctx.print(
        `agent ${agentName} resumes session ${adopted.session.sessionId} on its next job ` +
          `(herdctl trigger ${agentName}, or a schedule with resume_session: true)`,
      );
    });
}
