// Talking to the Docker engine (dockerode) and building the runtime images.
export { buildImage } from "@herdctl/core/internal/docker/image";
export { ContainerManager } from "@herdctl/core/internal/runner/runtime/container-manager";
