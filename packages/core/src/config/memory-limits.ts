// Apart from the zod schemas, so that what runs a job (memory/job-memory.ts) reads them without
// loading zod.

/** The notes' default cap: a few pages, small beside a system prompt. */
export const MEMORY_DEFAULT_MAX_BYTES = 16 * 1024;
/** Notes become part of every system prompt: past this they cost more than they carry. */
export const MEMORY_MAX_BYTES_LIMIT = 256 * 1024;
