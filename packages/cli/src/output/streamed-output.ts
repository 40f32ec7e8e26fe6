import { once } from "node:events";

/**
 * Large outputs written piece by piece, so a job's output of any size never sits in memory whole:
 * not as parsed lines, and not in the stream's buffer either, since a pipe to a slow reader only
 * takes so much at a time.
 */
export type Write = (text: string) => Promise<void>;

/** Writes `text`; when the stream's buffer is full, waits until the reader has drained it. */
export function drainedWriter(stream: NodeJS.WritableStream): Write {
  return async (text) => {
    if (!stream.write(text)) await once(stream, "drain");
  };
}

/** `[...items]`, each item written by `writeItem` (its JSON by default) as it comes. */
export async function writeJsonArray<T>(
  write: Write,
  items: Iterable<T>,
  indent: string,
  writeItem: (item: T) => Promise<void> = (item) => write(JSON.stringify(item)),
): Promise<void> {
  await write("[");
  let first = true;
  for (const item of items) {
    await write(`${first ? "" : ","}\n${indent}  `);
    await writeItem(item);
    first = false;
  }
  await write(first ? "]" : `\n${indent}]`);
}

/** `{ ...head, [key]: [...items] }` and a newline, laid out as printJson lays out `head`. */
export async function printJsonWithArray(
  write: Write,
  head: object,
  key: string,
  items: Iterable<unknown>,
): Promise<void> {
  const open = JSON.stringify(head, null, 2);
  await write(`${open === "{}" ? "{" : `${open.slice(0, -2)},`}\n  ${JSON.stringify(key)}: `);
  await writeJsonArray(write, items, "  ");
  await write("\n}\n");
}
