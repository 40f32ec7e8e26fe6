import { type Directive, parseDirectives, stripDirectives } from "./directives.js";
import { DirectiveError } from "./errors.js";
import type { RecordedRequest } from "./recorder.js";
import { bash, scheduleWakeup, textReply, writeFile } from "./script.js";
import type { FaultTurn, Responder, ResponderContext, Turn } from "./types.js";

/**
 * One assistant turn of a prompt's plan: one-shot faults served first (one per attempt, so
 * the client's retries walk through them), then the turn itself.
 */
interface PlanStep {
  faults: FaultTurn[];
  turn: Turn;
}

const QUOTE_LIMIT = 60;

export const OFFLINE_INTRO = "Hi! This is herdctl's offline stand-in, not Claude: no model was called.";

/** The friendly default reply, quoting the start of the prompt (directive lines left out). */
export function offlineGreeting(prompt: string): string {
  const plain = stripDirectives(prompt).replace(/\s+/g, " ").trim();
  if (plain === "") return `${OFFLINE_INTRO} Your prompt held only @standin directives.`;
  const points = Array.from(plain);
  const quote = points.length > QUOTE_LIMIT ? `${points.slice(0, QUOTE_LIMIT).join("")}…` : plain;
  return `${OFFLINE_INTRO} You asked: "${quote}"`;
}

export function directiveErrorText(err: DirectiveError): string {
  return `herdctl's offline stand-in could not follow your prompt. ${err.message}`;
}

/** Turns directives into the assistant turns a prompt produces. Exported for tests. */
export function buildPlan(directives: Directive[], prompt: string): PlanStep[] {
  const steps: PlanStep[] = [];
  let pending: FaultTurn[] = [];
  let delayMs: number | undefined;
  const texts: string[] = [];
  const push = (turn: Turn) => {
    steps.push({ faults: pending, turn });
    pending = [];
  };
  let terminal: Turn | undefined;
  for (const d of directives) {
    switch (d.kind) {
      case "write":
        push(writeFile(d.path, d.content));
        break;
      case "bash":
        push(bash(d.command));
        break;
      case "turns":
        for (let i = 1; i <= d.count; i++) push(bash(`echo 'herdctl stand-in turn ${i} of ${d.count}'`));
        break;
      case "wakeup":
        push(scheduleWakeup(d.seconds, d.prompt));
        break;
      case "text":
        texts.push(d.text);
        break;
      case "delay":
        delayMs = d.ms;
        break;
      case "flaky":
        pending.push({ kind: "error", status: d.status });
        break;
      case "drop":
        pending.push({ kind: "drop" });
        break;
      case "error":
        terminal = {
          kind: "error",
          status: d.status,
          shouldRetry: false,
          ...(d.message ? { message: d.message } : {}),
        };
        break;
      case "hang":
        terminal = { kind: "hang" };
        break;
    }
  }
  push(terminal ?? textReply(texts.length > 0 ? texts.join("\n") : offlineGreeting(prompt)));
  if (delayMs === undefined) return steps;
  const ms = delayMs;
  const delayed = (t: Turn): Turn => (t.kind === "hang" ? t : { ...t, delayMs: ms });
  return steps.map((s) => ({ faults: s.faults.map((f) => delayed(f) as FaultTurn), turn: delayed(s.turn) }));
}

/**
 * The responder behind `herdctl --offline` and `herdctl standin`: a friendly canned reply,
 * scripted by `@standin` directive lines in the latest prompt (see directives.ts). The plan
 * restarts with every new human prompt, so each prompt of a resumed session is scripted on
 * its own.
 */
export const offlineResponder: Responder = (req: RecordedRequest, ctx: ResponderContext): Turn => {
  const prompt = req.lastUserText ?? "";
  let steps: PlanStep[];
  try {
    steps = buildPlan(parseDirectives(prompt), prompt);
  } catch (err) {
    if (err instanceof DirectiveError) return textReply(directiveErrorText(err));
    throw err;
  }
  const step = steps[Math.min(req.assistantTurnsSinceLastUserText, steps.length - 1)]!;
  return step.faults[ctx.faultsAtPosition] ?? step.turn;
};
