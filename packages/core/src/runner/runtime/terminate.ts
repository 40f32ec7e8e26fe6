import type { LaunchedProcess } from "./launcher.js";

/** How long claude gets to exit after SIGTERM before it is killed outright. */
export const TERMINATE_GRACE_MS = 1000;

/** Asks the process to stop, then kills it; resolves once it is gone. */
export async function terminate(proc: LaunchedProcess, graceMs = TERMINATE_GRACE_MS): Promise<void> {
  if (proc.exitCode !== null) return;
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
