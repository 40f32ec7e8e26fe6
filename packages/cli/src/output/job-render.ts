import type { JobMessage, JobRecord } from "@herdctl/core/internal";
import { describeToolFailures } from "@herdctl/core/internal/runner/tool-failures";
import { duration, jobCost, relativeTime } from "./format.js";
import { type Style, statusColour } from "./style.js";
import { visible } from "./terminal-text.js";

function shortInput(input: Record<string, unknown>): string {
  const pick =
    input.file_path ?? input.path ?? input.command ?? input.pattern ?? input.url ?? input.description;
  const text = typeof pick === "string" ? pick : JSON.stringify(input);
  const oneLine = visible(text.replace(/\s+/g, " ").trim());
  return oneLine.length > 100 ? `${oneLine.slice(0, 99)}…` : oneLine;
}

/** One tool call as one line: `→ Bash npm test`. */
export function toolCallLine(name: unknown, input: unknown, style: Style): string {
  return style.cyan(`→ ${visible(String(name))} ${shortInput((input ?? {}) as Record<string, unknown>)}`);
}

/** Human lines for one message of a job's output; empty for messages people do not need to see. */
export function renderMessage(
  message: JobMessage | { type: string; [k: string]: unknown },
  style: Style,
): string[] {
  const m = message as { type: string; subtype?: string; [k: string]: unknown };
  if (m.type === "herdctl") return [style.dim(`· ${visible(String(m.text))}`)];
  if (m.type === "assistant") {
    const content = ((m.message as { content?: unknown[] })?.content ?? []) as Array<Record<string, unknown>>;
    const lines: string[] = [];
    for (const block of content) {
      if (block.type === "text" && typeof block.text === "string" && block.text.trim())
        lines.push(visible(block.text));
      if (block.type === "tool_use") lines.push(toolCallLine(block.name, block.input, style));
    }
    return lines;
  }
  if (m.type === "user") {
    const content = ((m.message as { content?: unknown })?.content ?? []) as unknown;
    if (!Array.isArray(content)) return [];
    return content
      .filter((b: Record<string, unknown>) => b.type === "tool_result" && b.is_error === true)
      .map((b: Record<string, unknown>) =>
        style.red(
          `✗ tool failed: ${visible(String(typeof b.content === "string" ? b.content : JSON.stringify(b.content)).slice(0, 300))}`,
        ),
      );
  }
  return [];
}

export function renderJobEnd(job: JobRecord, style: Style): string[] {
  const tokens =
    job.inputTokens !== null || job.outputTokens !== null
      ? `${job.inputTokens ?? 0} in / ${job.outputTokens ?? 0} out`
      : "-";
  const lines = [
    `${style.bold("job")} ${job.id} ${statusColour(style, job.status)}` +
      style.dim(
        `  ${duration(job.durationMs)} · ${job.numTurns ?? 0} turns · ${tokens} tokens · ${jobCost(job)}`,
      ),
  ];
  if (job.error) lines.push(style.red(visible(job.error)));
  if (job.toolFailures?.length) lines.push(style.yellow(visible(describeToolFailures(job.toolFailures))));
  if (job.nextRetryAt)
    lines.push(style.dim(`attempt ${job.attempt + 1} starts ${relativeTime(job.nextRetryAt)} (retry)`));
  return lines;
}

/** `trigger -q`: the result alone on standard output; a job that did not complete says why on standard error. */
export function printQuietly(
  ctx: { print(text: string): void; stderr: NodeJS.WritableStream },
  job: JobRecord,
): void {
  if (job.status === "completed") {
    // Raw into a pipe (a script wants the model's exact text); made safe on a terminal.
    if (job.summary) ctx.print(process.stdout.isTTY ? visible(job.summary) : job.summary);
    return;
  }
  ctx.stderr.write(`herdctl: job ${job.id} ${job.status}${job.error ? `: ${visible(job.error)}` : ""}\n`);
}
