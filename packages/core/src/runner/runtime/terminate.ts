import type { LaunchedProcess } from "./launcher.js";

/** How long claude gets to exit after SIGTERM before it is killed outright. */
export const TERMINATE_GRACE_MS = 1000;

/**
 * Asks the process to stop, then kills it; resolves once it is gone. A grace of 0 kills it at once
 * (a forced cancel), without the SIGTERM it might spend time handling.
 */
export async function terminate(proc: LaunchedProcess, graceMs = TERMINATE_GRACE_MS): Promise<void> {
  if (proc.exitCode !== null) return;
  if (graceMs <= 0) {
    proc.kill("SIGKILL");
    await proc.exited;
    return;
  }
  proc.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      proc.kill("SIGKILL");
      resolve();
    }, graceMs);
  });
  await Promise.race([proc.exited, killed]);
  clearTimeout(timer);
  await proc.exited;
}
