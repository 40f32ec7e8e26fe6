export {
  editMemory,
  MemoryError,
  type MemoryErrorCode,
  type MemoryVersionSummary,
  type MemoryView,
  memoryVersion,
  memoryView,
} from "./edit.js";
export { MEMORY_FILE } from "./file.js";
export { JobMemory, type MemorySettings, memorySettings } from "./job-memory.js";
export { capNotes } from "./notes.js";
