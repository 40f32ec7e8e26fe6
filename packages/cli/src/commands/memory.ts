import type { MemoryVersion, MemoryView } from "@herdctl/core/internal";
import type { Command } from "commander";

type Context = InstanceType<typeof import("../context.js").CommandContext>;

interface MemoryOptions {
  versions?: boolean;
  show?: string;
  edit?: boolean;
}

// Modules are loaded inside the action: other commands should not pay for them at start-up.

export function registerMemory(program: Command): void {
  program
    .command("memory")
    .description("an agent's notes (memory: true): print them, list or print versions, edit them in $EDITOR")
    .argument("<agent>", "agent name")
    .option("--versions", "list the stored versions, newest first")
    // Not --version: commander gives that to the program (herdctl's own version) wherever it appears.
    .option("--show <n>", "print stored version n instead of the current notes")
    .option("--edit", "open the notes in $VISUAL or $EDITOR and store what you save as a new version")
    .action(async (agent: string, options: MemoryOptions, command: Command) => {
      const { CommandContext } = await import("../context.js");
      const { CliError } = await import("../errors.js");
      const ctx = new CommandContext(command.optsWithGlobals());
      const chosen = [options.versions, options.show !== undefined, options.edit].filter(Boolean).length;
      if (chosen > 1) throw new CliError("use one of --versions, --show and --edit", 2);
      const store = await memoryStore(ctx, agent);
      if (options.show !== undefined) {
        const n = Number(options.show);
        if (!Number.isInteger(n) || n < 1)
          throw new CliError(`--show ${options.show}: a version is a whole number from 1`, 2);
        const version = await store.version(n);
        if (ctx.json) ctx.printJson({ version });
        else process.stdout.write(version.content);
        return;
      }
      const view = await store.view();
      if (options.edit) {
        await editInEditor(ctx, view, store);
        return;
      }
      if (options.versions) {
        await printVersions(ctx, view);
        return;
      }
      if (ctx.json) ctx.printJson(view);
      else if (!view.current)
        ctx.warn(
          view.enabled
            ? `agent ${view.agent} has no notes yet`
            : `agent ${view.agent} has no notes; it does not keep memory (set memory: true in its file)`,
        );
      else process.stdout.write(view.current.content);
    });
}

interface MemoryStore {
  view(): Promise<MemoryView>;
  version(n: number): Promise<MemoryVersion>;
  save(content: string): Promise<MemoryVersion>;
}

/** Through the daemon when one runs (it audits with the socket's actor), else the state store directly. */
async function memoryStore(ctx: Context, agent: string): Promise<MemoryStore> {
  const { daemonClient } = await import("../daemon.js");
  const { CliError } = await import("../errors.js");
  const { ControlError, localUserActor } = await import("@herdctl/core/essentials");
  const client = await daemonClient(ctx);
  const path = `/api/agents/${encodeURIComponent(agent)}/memory`;
  if (client) {
    const call = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
      try {
        return await client.call<T>(method, url, body);
      } catch (error) {
        if (error instanceof ControlError) throw new CliError(error.message);
        throw error;
      }
    };
    return {
      view: () => call<MemoryView>("GET", path),
      version: async (n) => (await call<{ version: MemoryVersion }>("GET", `${path}?version=${n}`)).version,
      save: async (content) => (await call<{ version: MemoryVersion }>("PUT", path, { content })).version,
    };
  }
  const resolved = await ctx.agent(agent);
  const { editMemory, MemoryError, memoryVersion, memoryView } = await import("../on-demand/memory.js");
  const withState = async <T>(use: (state: Awaited<ReturnType<Context["openState"]>>) => T): Promise<T> => {
    const state = await ctx.openState();
    try {
      return use(state);
    } catch (error) {
      if (error instanceof MemoryError) throw new CliError(error.message);
      throw error;
    } finally {
      state.close();
    }
  };
  return {
    view: () => withState((state) => memoryView(state, resolved)),
    version: (n) => withState((state) => memoryVersion(state, resolved.name, n)),
    save: (content) =>
      withState((state) => {
        const actor = localUserActor();
        const stored = editMemory(state, resolved, content, `${actor.via}:${actor.who}`);
        state.audit.append({
          action: "memory.edit",
          ...actor,
          target: resolved.name,
          detail: { version: stored.version, bytes: stored.bytes },
        });
        return stored;
      }),
  };
}

async function printVersions(ctx: Context, view: MemoryView): Promise<void> {
  if (ctx.json) {
    ctx.printJson({ agent: view.agent, versions: view.versions });
    return;
  }
  if (view.versions.length === 0) {
    ctx.print(`agent ${view.agent} has no stored notes`);
    return;
  }
  const { relativeAndLocal, table } = await import("../output/format.js");
  ctx.print(
    table(
      ["VERSION", "WHEN", "BY", "BYTES", "CUT"],
      view.versions.map((v) => [
        String(v.version),
        relativeAndLocal(v.createdAt),
        v.source === "job" ? `job ${v.jobId ?? "?"}` : (v.actor ?? "edit"),
        String(v.bytes),
        v.truncatedFrom === null ? "" : `from ${v.truncatedFrom}`,
      ]),
    ),
  );
}

/** The editor is spawned with an argument array: $EDITOR's words, then the file; no shell reads them. */
async function editInEditor(ctx: Context, view: MemoryView, store: MemoryStore): Promise<void> {
  const { CliError } = await import("../errors.js");
  const { spawn } = await import("node:child_process");
  const { mkdtemp, readFile, rm, writeFile } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  if (!view.enabled)
    throw new CliError(
      `agent ${view.agent} does not keep memory; set memory: true in its file to give it notes`,
    );
  const editor = (process.env.VISUAL || process.env.EDITOR || "vi").trim().split(/\s+/);
  const dir = await mkdtemp(join(tmpdir(), "herdctl-memory-"));
  const file = join(dir, `${view.agent}-memory.md`);
  const before = view.current?.content ?? "";
  try {
    await writeFile(file, before, { mode: 0o600 });
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(editor[0]!, [...editor.slice(1), file], { stdio: "inherit" });
      child.on("error", reject);
      child.on("exit", (exitCode) => resolve(exitCode));
    }).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(
        `could not start the editor ${editor[0]} (${error.code ?? error.message}); set EDITOR`,
      );
    });
    if (code !== 0) throw new CliError(`the editor exited with code ${code}; the notes are unchanged`);
    const after = await readFile(file, "utf8");
    if (after === before) {
      if (ctx.json) ctx.printJson({ changed: false, version: view.current });
      else ctx.print(`notes of ${view.agent} unchanged`);
      return;
    }
    const stored = await store.save(after);
    if (ctx.json) ctx.printJson({ changed: true, version: stored });
    else ctx.print(`stored version ${stored.version} of ${view.agent}'s notes (${stored.bytes} bytes)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
