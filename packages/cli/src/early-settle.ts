/** Where the CLI's first file keeps a container it is creating ahead (early-container.ts). */
export const EARLY_CONTAINER = Symbol.for("herdctl.early-container");

type Holder = {
  [EARLY_CONTAINER]?: { taken: boolean; creation: Promise<unknown>; startSent: Promise<void> };
};

/**
 * Waits until the first file's container for this trigger has its start request written to the
 * engine (at once when there is none). The engine's requests go out only when the event loop
 * turns: while the program then loaded and ran synchronously (~100 ms), the create waited for it,
 * and the start for its next turn, though the container, not the program, is what the job waits
 * for (the program is done long before the engine has started it).
 */
export async function earlyContainerRequested(): Promise<void> {
  await (globalThis as Holder)[EARLY_CONTAINER]?.startSent;
}

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
