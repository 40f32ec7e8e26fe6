// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file under test holds a literal ${VAR}
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { offlineResponder, type Standin, startStandin } from "@herdctl/standin";
import { BIN, type CliResult, cleanEnv, herdctl, tempDir, until, writeFleet } from "./cli.js";
import { stopDaemon } from "./daemon.js";

/**
 * "Machines" sharing one PostgreSQL database: each name has its own state directory (`-s`), claude
 * config directory and HOME, as separate hosts would, and talks to the Anthropic stand-in (faked,
 * on 127.0.0.1). The fleet file is one: `writeFleet` plus `state: { backend: postgres }`.
 */
export class PgMachines {
  private readonly daemons: ChildProcess[] = [];

  constructor(
    readonly dir: string,
    private readonly dbUrl: () => string,
    private readonly standin: () => Standin,
  ) {}

  async writeFleet(): Promise<void> {
    await writeFleet(this.dir);
    await appendFile(
      join(this.dir, "herdctl.yaml"),
      "state:\n  backend: postgres\n  url: ${HERDCTL_STATE_URL}\n",
    );
  }

  env(name: string): Record<string, string> {
    return {
      HERDCTL_STATE_URL: this.dbUrl(),
      ANTHROPIC_BASE_URL: this.standin().url,
      ANTHROPIC_API_KEY: "sk-ant-test-machines-0123456789",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      CLAUDE_CONFIG_DIR: join(this.dir, `claude-${name}`),
      HOME: join(this.dir, `home-${name}`),
    };
  }

  stateDir(name: string): string {
    return join(this.dir, `.herdctl-${name}`);
  }

  /**
   * `herdctl start --no-warm` on machine `name` (with `args`), resolved once its control socket
   * exists. No warm claude after each triggered job: these tests never use one, and each costs a
   * claude start-up's CPU (~1.5 s) on the suite's two cores.
   */
  async start(name: string, args: string[] = []): Promise<ChildProcess> {
    const daemon = spawn(process.execPath, [BIN, "-s", this.stateDir(name), "start", "--no-warm", ...args], {
      cwd: this.dir,
      env: cleanEnv(this.env(name)),
      stdio: "ignore",
    });
    this.daemons.push(daemon);
    await until(
      () => existsSync(join(this.stateDir(name), "herdctl.sock")),
      `daemon ${name}'s control socket`,
    );
    return daemon;
  }

  /** A CLI command on machine `name` (through its daemon when it runs one). */
  run(name: string, args: string[], timeoutMs?: number): Promise<CliResult> {
    return herdctl(["-s", this.stateDir(name), ...args], { cwd: this.dir, env: this.env(name), timeoutMs });
  }

  /** A CLI command on machine `name` as a process of its own, for commands that stream. */
  spawn(name: string, args: string[]): ChildProcess {
    return spawn(process.execPath, [BIN, "-s", this.stateDir(name), ...args], {
      cwd: this.dir,
      env: cleanEnv(this.env(name)),
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** All at once, as machines would be shut down: each daemon's stop takes seconds of its own. */
  async stopAll(): Promise<void> {
    await Promise.all(this.daemons.map((daemon) => stopDaemon(daemon)));
  }
}

/**
 * A test file's machines in a new folder (`prefix`…), their fleet file written, talking to one
 * stand-in of their own with the offline replies (`@standin …` prompts). The caller closes the
 * stand-in and removes the folder after its tests.
 */
export async function offlineMachines(
  prefix: string,
  dbUrl: () => string,
): Promise<{ machines: PgMachines; standin: Standin; remove: () => Promise<void> }> {
  const standin = await startStandin({ responder: offlineResponder });
  const made = await tempDir(prefix);
  const machines = new PgMachines(made.dir, dbUrl, () => standin);
  await machines.writeFleet();
  return { machines, standin, remove: made.remove };
}
