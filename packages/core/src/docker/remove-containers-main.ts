import { ContainerManager } from "../runner/runtime/container-manager.js";

/**
 * The helper process removal-helper.ts starts: removes the containers named on its command line
 * (force, with their anonymous volumes), after the process that ran their jobs may have exited.
 * Only ids as the engine gives them are taken; a failure is left to the orphan clean-up of the
 * next `herdctl start` (the containers carry the fleet's labels).
 */
const CONTAINER_ID = /^[0-9a-f]{64}$/;

const manager = new ContainerManager();
try {
  for (const id of process.argv.slice(2)) {
    if (!CONTAINER_ID.test(id)) continue;
    await manager.removeContainer(id).catch(() => undefined);
  }
} finally {
  manager.close();
}
