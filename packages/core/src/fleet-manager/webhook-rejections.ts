import { isAgentName, type StateManager } from "../state/index.js";
import { printable } from "../util/printable.js";

/** The state event type of a refused `POST /hooks/<agent>/<schedule>`. */
export const WEBHOOK_REJECTED = "webhook:rejected";

export interface WebhookRejection {
  /** The state event's id. */
  id: number;
  at: string;
  schedule: string;
  /** The HTTP status answered. */
  status: number;
  code: string;
  message: string;
  /** Rejections for this agent not recorded since the previous one, because they came too fast. */
  suppressed: number;
}

/** Caller-chosen text is stored, so it is cut short (a URL can be long) and made printable. */
const NAME_LIMIT = 200;

/**
 * Records a refused webhook call for its agent (null when the URL names no agent of the fleet,
 * or something that could not be one).
 */
export function recordWebhookRejection(
  state: StateManager,
  agent: string | null,
  rejection: Omit<WebhookRejection, "id" | "at">,
): void {
  state.events.append({
    type: WEBHOOK_REJECTED,
    agent: agent !== null && isAgentName(agent) ? agent : null,
    data: {
      ...rejection,
      schedule: printable(rejection.schedule, NAME_LIMIT),
      message: printable(rejection.message, 4 * NAME_LIMIT),
    },
  });
}

/** The agent's most recent refused webhook calls, newest first. */
export function recentWebhookRejections(state: StateManager, agent: string, limit = 5): WebhookRejection[] {
  return state.events.list({ agent, type: WEBHOOK_REJECTED, limit }).map((event) => {
    const data = (event.data ?? {}) as Partial<WebhookRejection>;
    return {
      id: event.id,
      at: event.at,
      schedule: String(data.schedule ?? ""),
      status: Number(data.status ?? 0),
      code: String(data.code ?? ""),
      message: String(data.message ?? ""),
      suppressed: Number(data.suppressed ?? 0),
    };
  });
}
