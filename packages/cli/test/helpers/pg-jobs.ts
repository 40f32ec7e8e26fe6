import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { connectAsTestRole } from "../../../../test/setup/postgres.js";
import { until } from "./cli.js";
import type { LoggedProcesses } from "./logged-processes.js";
import type { PgMachines } from "./pg-machines.js";

/**
 * The job records of a PostgreSQL fleet under test, read fresh on each call (`columns` of the
 * jobs table, in creation order), and a poll whose timeout message shows them and what each of the
 * file's processes printed: the first things to read when a kill-and-reap test fails.
 */
export function jobRecords<Row extends { id: string }>(
  url: () => string,
  columns: string,
  herd: LoggedProcesses,
  everyMs = 100,
) {
  async function jobs(): Promise<Row[]> {
    const client = await connectAsTestRole(url());
    try {
      return (await client.query<Row>(`select ${columns} from jobs order by created_at, id`)).rows;
    } finally {
      await client.end();
    }
  }

  async function job(id: string): Promise<Row | undefined> {
    return (await jobs()).find((j) => j.id === id);
  }

  /** Polls until `pick` finds something; a hang becomes a message with the records and the logs. */
  async function poll<T>(pick: () => Promise<T | undefined>, what: string, timeoutMs = 90_000): Promise<T> {
    const t0 = Date.now();
    for (;;) {
      const found = await pick();
      if (found !== undefined) return found;
      if (Date.now() - t0 > timeoutMs) {
        const logs = [...herd.logs].map(([name, log]) => `--- ${name}\n${log}`).join("\n");
        throw new Error(
          `${what}: not seen within ${timeoutMs / 1000} s\n${JSON.stringify(await jobs(), null, 1)}\n${logs}`,
        );
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  return { jobs, job, poll };
}

/** `herdctl start --no-warm` on machine `name`, resolved once its control socket exists (a killed one's is removed first). */
export async function startMachineDaemon(
  herd: LoggedProcesses,
  machines: PgMachines,
  name: string,
  args: string[],
): Promise<void> {
  const socket = join(machines.stateDir(name), "herdctl.sock");
  await rm(socket, { force: true });
  const child = herd.spawn(name, ["start", "--no-warm", ...args]);
  await until(() => {
    if (child.exitCode !== null) throw new Error(`daemon ${name} exited:\n${herd.log(name)}`);
    return existsSync(socket);
  }, `daemon ${name}'s control socket`);
}
