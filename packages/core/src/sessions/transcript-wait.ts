import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** How often the transcript is looked at while waiting. */
const LOOK_EVERY_MS = 20;
/** The most read per look: a long job's transcript is read in slices, never whole at once. */
const SLICE_BYTES = 1024 * 1024;

/**
 * Resolves true once the transcript `locate` finds holds `text`, false after `limitMs` (or when it
 * never appears). claude only appends, so each look reads just what was added since the last one,
 * keeping the end of the previous read so a `text` split across two reads is still found. The file
 * is opened without following a symlink: an agent can write in claude's project folder.
 */
export async function waitForTranscriptText(
  locate: () => string | undefined,
  text: string,
  limitMs: number,
): Promise<boolean> {
  const needle = Buffer.from(text, "utf8");
  const deadline = Date.now() + limitMs;
  let path: string | undefined;
  let offset = 0;
  let carry = Buffer.alloc(0);
  for (;;) {
    const found = locate();
    if (found !== path) {
      path = found;
      offset = 0;
      carry = Buffer.alloc(0);
    }
    if (path !== undefined) {
      const added = readFrom(path, offset);
      if (added) {
        const window = Buffer.concat([carry, added]);
        if (window.includes(needle)) return true;
        offset += added.length;
        carry = window.subarray(Math.max(0, window.length - (needle.length - 1)));
        // More may be waiting beyond this slice: look again at once.
        if (added.length === SLICE_BYTES) continue;
      }
    }
    if (Date.now() >= deadline) return false;
    await sleep(LOOK_EVERY_MS);
  }
}

/** What the file holds from `offset` on (one slice at most); undefined when nothing or unreadable. */
function readFrom(path: string, offset: number): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size <= offset) return undefined;
    const slice = Buffer.alloc(Math.min(SLICE_BYTES, stat.size - offset));
    const read = readSync(fd, slice, 0, slice.length, offset);
    return read > 0 ? slice.subarray(0, read) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
