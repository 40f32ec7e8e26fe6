/**
 * Text from outside the fleet file (an agent, an HTTP client, a chat user, claude's own output)
 * that herdctl stores, logs or prints. C0/C1 control characters could drive a terminal or forge
 * a line of a log; U+2028/U+2029 split lines in some viewers. So none of them survive.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const UNPRINTABLE_RUNS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** At most `max` characters, each unprintable one shown as `?`: keeps the text's shape (a path). */
export function printable(text: string, max: number): string {
  return text.slice(0, max).replace(UNPRINTABLE, "?");
}

/** One line of at most `max` characters, unprintable runs turned into a space, ends trimmed. */
export function oneLine(text: string, max: number): string {
  return text.replace(UNPRINTABLE_RUNS, " ").trim().slice(0, max);
}
