import type { ChatMessageRecord, ChatRecord, JobMessage } from "@herdctl/core";
import { FleetManager } from "@herdctl/core/internal/fleet-manager/fleet-manager";
import { StateError } from "@herdctl/core/internal/state/errors";
import type { CommandContext } from "../context.js";
import { CliError } from "../errors.js";
import { startOffline } from "../offline.js";
import { OFFLINE_LABEL } from "../offline-label.js";
import { visible } from "../output/terminal-text.js";
import { VERSION } from "../version.js";
import type { ChatConnection, ChatTurn } from "./connection.js";

/**
 * Chats run by this process when no daemon does: a fleet of its own, started for the chat and
 * stopped with it, so turns get the same sessions, runtimes, Docker and limits as the daemon's.
 */
export class LocalChat implements ChatConnection {
  private constructor(
    private readonly fleet: FleetManager,
    readonly where: string,
    private readonly stopStandin: () => Promise<void>,
  ) {}

  static async open(ctx: CommandContext, options: { offline?: boolean }): Promise<LocalChat> {
    const configPath = ctx.configPath();
    const offline = options.offline ? await startOffline() : undefined;
    const fleet = new FleetManager({
      config: configPath,
      stateDir: ctx.options.state ? ctx.stateDir() : undefined,
      env: offline?.env,
      offline: Boolean(offline),
      watchConfig: false,
      // The chat alone: schedules and wakes are the daemon's to fire, crash recovery its to run.
      background: false,
      // On PostgreSQL this process is a member while it runs the chat's turns (its id on them).
      version: VERSION,
      log: (line) => ctx.stderr.write(`${ctx.err.dim(`· ${visible(line)}`)}\n`),
    });
    try {
      await fleet.start();
    } catch (error) {
      await offline?.standin.close();
      // No daemon answered, so the holder is another command running the fleet itself.
      if (error instanceof StateError && error.code === "STATE_LOCKED")
        throw new CliError(
          `another herdctl command (pid ${(error as StateError & { pid: number }).pid}) is running this fleet in its own process, ` +
            `probably another "herdctl chat"; leave that one first, or run "herdctl start" so that chats share the daemon`,
        );
      throw error;
    }
    const where = offline ? `in this process; ${OFFLINE_LABEL}` : "in this process, as no daemon runs";
    return new LocalChat(fleet, where, async () => void (await offline?.standin.close()));
  }

  async create(agent: string): Promise<ChatRecord> {
    return this.fleet.createChat(agent, { surface: "terminal" });
  }

  async chat(id: string): Promise<{ chat: ChatRecord; messages: ChatMessageRecord[] }> {
    return { chat: this.fleet.chat(id), messages: this.fleet.chatMessages(id) };
  }

  async list(filter: { agent?: string }): Promise<ChatRecord[]> {
    return this.fleet.chats(filter);
  }

  async rename(id: string, title: string): Promise<ChatRecord> {
    return this.fleet.renameChat(id, title);
  }

  remove(id: string): Promise<void> {
    return this.fleet.deleteChat(id);
  }

  async send(
    id: string,
    text: string,
    onMessage: (message: JobMessage) => void,
    signal?: AbortSignal,
  ): Promise<ChatTurn> {
    const { chat, job } = this.fleet.sendChatMessage(id, text, { onMessage });
    const ended = this.fleet.wait(job.id);
    if (!signal) return { chat, job: await ended };
    // Leaving stops the fleet, which cancels the turn; nobody waits for its record any more.
    const left = new Promise<void>((resolve) =>
      signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    const final = await Promise.race([ended, left]);
    return { chat, job: final ?? job };
  }

  async interrupt(id: string): Promise<void> {
    await this.fleet.interruptChat(id);
  }

  async close(): Promise<void> {
    // Leaving the chat ends what this process runs; a turn still going is cancelled.
    await this.fleet.stop({ timeoutMs: 0, reason: "the chat ended" });
    await this.stopStandin();
  }
}
