import { createRequire } from "node:module";

let loaded: typeof import("node:crypto") | undefined;

/**
 * node:crypto, loaded on first use. It is not in Node's start-up snapshot and takes ~15–50 ms to
 * load; the state store is opened by every short CLI command (`jobs`, `job`, `status`), and most of
 * them never hash or draw a random id, so modules they load ask for it here instead of importing it.
 */
export function nodeCrypto(): typeof import("node:crypto") {
  loaded ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  return loaded;
}
