import { spawn } from "node:child_process";
import { builtWorkerFile } from "../util/worker-file.js";

/**
 * Starts a process of its own that removes the container (remove-containers-main.ts), so that the
 * caller can exit without waiting for the engine (~0.2 s to kill and remove one) or cutting the
 * removal off. False when no helper could be started; the caller then removes it itself.
 */
export function removeInHelper(id: string): boolean {
  let helper: string;
  try {
    helper = builtWorkerFile(import.meta.url, "docker/remove-containers-main", "container removal helper");
  } catch {
    return false;
  }
  try {
    // Its own process group, no terminal and no pipes: a Ctrl-C of the trigger does not reach it,
    // and nothing of it holds the trigger open.
    const child = spawn(process.execPath, [helper, id], { detached: true, stdio: "ignore" });
    child.on("error", () => undefined);
    child.unref();
    return child.pid !== undefined;
  } catch {
    return false;
  }
}
