import { readdirSync, readFileSync } from "node:fs";
import type { ProcessGroupIdentity } from "../../state/job-record.js";

interface ProcStat {
  readonly pid: number;
  readonly pgrp: number;
  readonly session: number;
  readonly startTicks: number;
}

function readBootId(): string | undefined {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const pgrp = Number(fields[2]);
  const session = Number(fields[3]);
  const startTicks = Number(fields[19]);
  if (!Number.isInteger(pgrp) || !Number.isInteger(session) || !Number.isInteger(startTicks))
    return undefined;
  return { pid, pgrp, session, startTicks };
}

/** The identity of a process the launcher just started; undefined where /proc is not available. */
export function readProcessGroup(pid: number): ProcessGroupIdentity | undefined {
  const bootId = readBootId();
  const stat = readStat(pid);
  if (bootId === undefined || stat === undefined) return undefined;
  return { pgid: stat.pgrp, startTicks: stat.startTicks, bootId };
}

function allPids(): number[] {
  try {
    return readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILLs every process still in the recorded group or session and returns their pids, or
 * returns [] when the identity no longer matches: another boot, or the leader's pid now belongs
 * to a process that started at another time. While any member lives, Linux keeps the group and
 * session ids reserved, so a leader that is gone leaves only our own processes behind them.
 */
export function killProcessGroup(identity: ProcessGroupIdentity): number[] {
  if (readBootId() !== identity.bootId) return [];
  const leader = readStat(identity.pgid);
  if (leader !== undefined && leader.startTicks !== identity.startTicks) return [];
  // Members that left for a group of their own (setpgid) are still in the session.
  const members = allPids()
    .map(readStat)
    .filter((s): s is ProcStat => s !== undefined)
    .filter((s) => s.pgrp === identity.pgid || s.session === identity.pgid);
  // Killing by group is atomic, so a member forking right now cannot leave a child behind;
  // a group inside our session is ours entirely, since groups never span sessions.
  for (const pgrp of new Set(members.map((m) => m.pgrp))) {
    try {
      process.kill(-pgrp, "SIGKILL");
    } catch {
      // Exited between the listing and the kill.
    }
  }
  return members.map((m) => m.pid);
}
