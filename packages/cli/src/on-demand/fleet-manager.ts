// The whole fleet: scheduler, runtimes, control server (hono). Only `start` runs one.
export { serveControlSocket } from "@herdctl/core/internal/control/server";
export { FleetManager } from "@herdctl/core/internal/fleet-manager/fleet-manager";
export { DEFAULT_WARM_CLAUDES } from "@herdctl/core/internal/runner/runtime/warm-claudes";
export { DEFAULT_WARM_CONTAINERS } from "@herdctl/core/internal/runner/runtime/warm-containers";
