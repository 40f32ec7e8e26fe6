import { randomBytes } from "node:crypto";
import { chmod, chown, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ScheduleEditError } from "./errors.js";

/**
 * Replaces `path`'s content with `text`, provided it still holds `expected` (anything else means
 * someone wrote it since it was read, and their change would be lost). By default through a
 * temporary file in the same folder and a rename, so a reader sees the old file or the new one and
 * never half of either; the mode and owner are kept. `inPlace` rewrites the same inode instead
 * (see mayBeShielded).
 */
export async function replaceFileText(
  path: string,
  text: string,
  options: { expected: string; display: string; inPlace: boolean },
): Promise<void> {
  const before = await stat(path);
  if ((await readFile(path, "utf8")) !== options.expected) throw changedUnderneath(options.display);
  if (options.inPlace) {
    const handle = await open(path, "r+");
    try {
      const data = Buffer.from(text, "utf8");
      await handle.write(data, 0, data.length, 0);
      await handle.truncate(data.length);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return;
  }
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx", before.mode & 0o7777);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    // open() applies the umask; the file keeps exactly the mode it had.
    await chmod(temp, before.mode & 0o7777);
    if (process.getuid?.() === 0) await chown(temp, before.uid, before.gid);
    if ((await readFile(path, "utf8")) !== options.expected) throw changedUnderneath(options.display);
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

function changedUnderneath(display: string): ScheduleEditError {
  return new ScheduleEditError(
    "SCHEDULE_FILE_CONFLICT",
    `${display} changed on disk while the edit was being made; nothing was written. Look at the file and try again`,
  );
}
