/** Where the CLI's first file keeps a container it is creating ahead (early-container.ts). */
export const EARLY_CONTAINER = Symbol.for("herdctl.early-container");

type Holder = { [EARLY_CONTAINER]?: { taken: boolean; creation: Promise<unknown> } };

/**
 * Waits for a container the first file is still creating for a trigger that did not take it (the
 * command failed first, or named another fleet), so that it exists by the time the process exits
 * and its exit handler hands it to the removal helper; an exit before would leave it running.
 * Imports nothing, so the program that ends every command can wait on it for free.
 */
export async function earlyContainerSettled(): Promise<void> {
  const kept = (globalThis as Holder)[EARLY_CONTAINER];
  if (kept && !kept.taken) await kept.creation;
}
