// `memory`: an agent's notes read and edited without a daemon.
export { editMemory, MemoryError, memoryVersion, memoryView } from "@herdctl/core/internal/memory/edit";
