/**
 * What an agent asked claude's own timer tools for, read from the job's message stream. claude
 * keeps these timers in its process, which herdctl ends after the result; the captures are what
 * herdctl keeps instead. A request counts only once claude answered it without an error: a tool
 * call claude refused scheduled nothing.
 */
export type WakeCapture =
  /** ScheduleWakeup: fire once, `delayMs` after the call (claude's own clamp already applied). */
  | { readonly kind: "once"; readonly delayMs: number; readonly prompt: string; readonly sessionId: string }
  /** CronCreate: `recurring` false fires once at the next match. */
  | {
      readonly kind: "cron";
      readonly cron: string;
      readonly prompt: string;
      readonly recurring: boolean;
      readonly claudeId?: string;
      readonly sessionId: string;
    }
  /** CronDelete of a job CronCreate made. */
  | { readonly kind: "delete"; readonly claudeId: string; readonly sessionId: string }
  /** ScheduleWakeup with `stop: true`: no more one-shot wakes for this session. */
  | { readonly kind: "stop"; readonly sessionId: string };

/** The tools whose calls keep claude's process waiting after its result. */
const TIMER_TOOLS = new Set(["ScheduleWakeup", "CronCreate", "CronDelete"]);

/** claude clamps ScheduleWakeup's delay to this range; used when its answer does not say. */
const WAKEUP_MIN_S = 60;
const WAKEUP_MAX_S = 3600;

interface ToolCall {
  readonly name: string;
  readonly input: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function blocks(message: Json): Json[] {
  const inner = message["message"];
  const content = isObject(inner) ? inner["content"] : undefined;
  return Array.isArray(content) ? content.filter(isObject) : [];
}

/** Follows one job's messages; `observe` each, then read `captures`. */
export class WakeCaptureStream {
  private readonly calls = new Map<string, ToolCall>();
  private readonly found: WakeCapture[] = [];
  private timers = false;

  /** An agent called a timer tool in this job: claude will not exit by itself after its result. */
  get holdsTimers(): boolean {
    return this.timers;
  }

  get captures(): readonly WakeCapture[] {
    return this.found;
  }

  /** Returns the captures this message completed. */
  observe(message: unknown): WakeCapture[] {
    if (!isObject(message)) return [];
    if (message["type"] === "assistant") {
      for (const block of blocks(message)) {
        const name = block["name"];
        const id = block["id"];
        if (block["type"] !== "tool_use" || typeof name !== "string" || typeof id !== "string") continue;
        if (!TIMER_TOOLS.has(name)) continue;
        this.timers = true;
        this.calls.set(id, { name, input: isObject(block["input"]) ? block["input"] : {} });
      }
      return [];
    }
    if (message["type"] !== "user") return [];
    const sessionId = typeof message["session_id"] === "string" ? message["session_id"] : undefined;
    const results = blocks(message).filter((b) => b["type"] === "tool_result");
    const made: WakeCapture[] = [];
    for (const result of results) {
      const call = this.calls.get(String(result["tool_use_id"]));
      if (call === undefined) continue;
      this.calls.delete(String(result["tool_use_id"]));
      if (result["is_error"] === true || sessionId === undefined) continue;
      // claude puts a tool's structured answer beside the message; it belongs to a lone result only.
      const output =
        results.length === 1 && isObject(message["tool_use_result"]) ? message["tool_use_result"] : {};
      const capture = toCapture(call, output, sessionId);
      if (capture !== undefined) made.push(capture);
    }
    this.found.push(...made);
    return made;
  }
}

function toCapture(call: ToolCall, output: Json, sessionId: string): WakeCapture | undefined {
  const { input } = call;
  if (call.name === "ScheduleWakeup") {
    if (input["stop"] === true) return { kind: "stop", sessionId };
    const prompt = input["prompt"];
    if (typeof prompt !== "string") return undefined;
    const clamped = output["clampedDelaySeconds"];
    const asked = Number(input["delaySeconds"]);
    const seconds =
      typeof clamped === "number" && Number.isFinite(clamped)
        ? clamped
        : Math.min(WAKEUP_MAX_S, Math.max(WAKEUP_MIN_S, Number.isFinite(asked) ? asked : WAKEUP_MIN_S));
    return { kind: "once", delayMs: seconds * 1000, prompt, sessionId };
  }
  if (call.name === "CronCreate") {
    const { cron, prompt } = input;
    if (typeof cron !== "string" || typeof prompt !== "string") return undefined;
    const claudeId = typeof output["id"] === "string" ? output["id"] : undefined;
    return {
      kind: "cron",
      cron,
      prompt,
      recurring: input["recurring"] !== false,
      sessionId,
      ...(claudeId === undefined ? {} : { claudeId }),
    };
  }
  const id = input["id"];
  return typeof id === "string" ? { kind: "delete", claudeId: id, sessionId } : undefined;
}
