import { DirectiveError } from "./errors.js";

/**
 * The directive language of the offline stand-in. Any line of the latest user prompt that
 * starts with `@standin ` (leading spaces allowed) is a directive; other lines are ordinary
 * prompt text. Directives run in the order written:
 *
 *   @standin write <path> <content...>  Write tool call; content is the rest of the line
 *   @standin bash <command...>          Bash tool call with the rest of the line
 *   @standin turns <n>                  n harmless tool turns (Bash `echo`) before going on
 *   @standin wakeup <seconds> <prompt...> ScheduleWakeup tool call: claude's "wake me in <seconds>"
 *   @standin text <words...>            the final reply text (several lines join with "\n")
 *   @standin delay <ms>                 every reply of this prompt waits <ms> before its first byte
 *   @standin flaky <429|500|529>        the next reply fails once with that status; the client's
 *                                       retry then gets the reply
 *   @standin drop                       the next reply's stream is cut mid-message once; the
 *                                       client's retry then gets the reply
 *   @standin error <429|500|529> [msg]  from here on every attempt fails with that status and
 *                                       `x-should-retry: false`, so Claude Code ends the run at once
 *   @standin hang                       from here on the reply never comes
 *
 * In `write` and `text`, `\n`, `\t` and `\\` are escapes for newline, tab and backslash, so
 * one line can carry multi-line content. Paths cannot contain spaces. Directives after
 * `error` or `hang` are never reached and are rejected, as is anything unknown.
 */
export type Directive =
  | { kind: "write"; path: string; content: string }
  | { kind: "bash"; command: string }
  | { kind: "turns"; count: number }
  | { kind: "wakeup"; seconds: number; prompt: string }
  | { kind: "text"; text: string }
  | { kind: "delay"; ms: number }
  | { kind: "flaky"; status: FaultStatus }
  | { kind: "drop" }
  | { kind: "error"; status: FaultStatus; message?: string }
  | { kind: "hang" };

export type FaultStatus = 429 | 500 | 529;

export const DIRECTIVE_PREFIX = "@standin";
const DIRECTIVE_LINE = /^[ \t]*@standin(?:[ \t]|$)/;
const FAULT_STATUSES: readonly number[] = [429, 500, 529];
export const MAX_TURNS_DIRECTIVE = 50;
export const MAX_DELAY_MS = 600_000;

/** The directive reference as users see it (`herdctl standin --help`). */
export const DIRECTIVE_HELP = `Script the offline stand-in with lines in the prompt, run in order:
  @standin write <path> <content...>   Write tool call (\\n, \\t, \\\\ are escapes)
  @standin bash <command...>           Bash tool call
  @standin turns <n>                   n harmless tool turns (max ${MAX_TURNS_DIRECTIVE})
  @standin wakeup <seconds> <prompt...> ScheduleWakeup call: wake me in <seconds> with <prompt>
  @standin text <words...>             the final reply text
  @standin delay <ms>                  wait before every reply of this prompt
  @standin flaky <429|500|529>         fail the next reply once; the retry succeeds
  @standin drop                        cut the next reply's stream once; the retry succeeds
  @standin error <429|500|529> [msg]   fail for good: the run ends with that API error
  @standin hang                        never reply
Without directives the reply is a short greeting quoting the prompt.`;

export function isDirectiveLine(line: string): boolean {
  return DIRECTIVE_LINE.test(line);
}

/** Interpret \n, \t and \\ ; any other backslash stays as written. */
export function unescapeArg(text: string): string {
  return text.replace(/\\([nt\\])/g, (_m, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : "\\"));
}

/** Splits off the first space-separated word; the rest keeps its spacing after one separator. */
function splitWord(text: string): [string, string] {
  const m = /^(\S*)(?:[ \t](.*))?$/s.exec(text)!;
  return [m[1] ?? "", m[2] ?? ""];
}

function parseInteger(line: string, raw: string, what: string, max: number): number {
  if (!/^\d+$/.test(raw)) throw new DirectiveError(line, `${what} must be a whole number, got "${raw}".`);
  const n = Number(raw);
  if (n > max) throw new DirectiveError(line, `${what} must be at most ${max}, got ${n}.`);
  return n;
}

function parseStatus(line: string, raw: string): FaultStatus {
  if (!FAULT_STATUSES.includes(Number(raw)) || !/^\d+$/.test(raw)) {
    throw new DirectiveError(line, `status must be 429, 500 or 529, got "${raw}".`);
  }
  return Number(raw) as FaultStatus;
}

export function parseDirectiveLine(raw: string): Directive {
  const line = raw.trim();
  const body = line.replace(/^@standin[ \t]*/, "");
  const [name, rest] = splitWord(body);
  const noArgs = (d: Directive): Directive => {
    if (rest.trim() !== "") throw new DirectiveError(line, `"${name}" takes no arguments.`);
    return d;
  };
  switch (name) {
    case "write": {
      const [path, content] = splitWord(rest);
      if (path === "")
        throw new DirectiveError(line, "write needs a path: @standin write <path> <content...>");
      return { kind: "write", path, content: unescapeArg(content) };
    }
    case "bash":
      if (rest.trim() === "")
        throw new DirectiveError(line, "bash needs a command: @standin bash <command...>");
      return { kind: "bash", command: rest };
    case "turns":
      return { kind: "turns", count: parseInteger(line, rest.trim(), "turns", MAX_TURNS_DIRECTIVE) };
    case "text":
      return { kind: "text", text: unescapeArg(rest) };
    case "wakeup": {
      const [seconds, prompt] = splitWord(rest.trimStart());
      if (prompt.trim() === "")
        throw new DirectiveError(
          line,
          "wakeup needs a delay and a prompt: @standin wakeup <seconds> <prompt...>",
        );
      return {
        kind: "wakeup",
        seconds: parseInteger(line, seconds, "wakeup delay", 86_400),
        prompt: unescapeArg(prompt),
      };
    }
    case "delay":
      return { kind: "delay", ms: parseInteger(line, rest.trim(), "delay", MAX_DELAY_MS) };
    case "flaky":
      return { kind: "flaky", status: parseStatus(line, rest.trim()) };
    case "drop":
      return noArgs({ kind: "drop" });
    case "hang":
      return noArgs({ kind: "hang" });
    case "error": {
      const [status, message] = splitWord(rest.trimStart());
      const d: Directive = { kind: "error", status: parseStatus(line, status) };
      return message.trim() === "" ? d : { ...d, message: message.trim() };
    }
    case "":
      throw new DirectiveError(line, "missing directive name.");
    default:
      throw new DirectiveError(
        line,
        `unknown directive "${name}"; use write, bash, turns, wakeup, text, delay, flaky, drop, error or hang.`,
      );
  }
}

/** All directives of a prompt, in order. Throws DirectiveError on the first bad line. */
export function parseDirectives(prompt: string): Directive[] {
  const directives: Directive[] = [];
  let terminal: string | undefined;
  for (const line of prompt.split("\n")) {
    if (!isDirectiveLine(line)) continue;
    if (terminal !== undefined) {
      throw new DirectiveError(line.trim(), `nothing runs after "${terminal}"; move it to the end.`);
    }
    const d = parseDirectiveLine(line);
    if (d.kind === "error" || d.kind === "hang") terminal = line.trim();
    directives.push(d);
  }
  return directives;
}

/** The prompt without its directive lines. */
export function stripDirectives(prompt: string): string {
  return prompt
    .split("\n")
    .filter((l) => !isDirectiveLine(l))
    .join("\n");
}
