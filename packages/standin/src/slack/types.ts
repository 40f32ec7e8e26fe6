/** A message as the Slack stand-in stores it: posted by the bot or sent by a simulated user. */
export interface SlackMessage {
  channel: string;
  ts: string;
  /** Set on replies; a thread's parent has thread_ts === ts once it has replies. */
  thread_ts?: string;
  text: string;
  user: string;
  bot_id?: string;
  /** Block Kit blocks the bot posted with it (buttons, …), as last updated. */
  blocks?: unknown[];
  /** How many times chat.update changed it. */
  edits: number;
  deleted?: boolean;
}

/** One Web API call as received (token already checked), for assertions. */
export interface SlackApiCall {
  method: string;
  /** The form or JSON arguments, token removed. */
  args: Record<string, unknown>;
  /** HTTP status the stand-in answered with. */
  status: number;
  /** Slack's `error` code when ok was false. */
  error?: string;
  at: number;
}

export interface SlackReaction {
  channel: string;
  ts: string;
  name: string;
  removed: boolean;
}

/** An events_api envelope the stand-in delivered over Socket Mode. */
export interface SlackEnvelope {
  envelope_id: string;
  event: Record<string, unknown>;
  /** Set for an `interactive` envelope (a click): its payload, delivered instead of `event`. */
  interactive?: Record<string, unknown>;
  /** Delivered on this connection number (1-based); 0 while queued for the next connection. */
  connection: number;
  acked: boolean;
}
