import type { ResolvedAgent } from "../../config/index.js";
import type { ApprovalRecord } from "../../state/index.js";
import type { ChatDecider } from "../approval-command.js";
import type { TurnEvent, TurnRequest } from "./turn-runner.js";

/** The chat platforms herdctl connects agents to. */
export type ChatPlatform = "discord" | "slack";

/** Where a connector is; `reason` is plain words for status and the daemon log, never a token. */
export interface ConnectorState {
  status: "starting" | "connected" | "reconnecting" | "failed" | "stopped";
  reason?: string;
  /** When the connector entered this status (ISO-8601). */
  since: string;
  /** The agents answering through this connection. */
  agents: string[];
}

/** One bot connection: one per platform and token, shared by the agents configured with that token. */
export interface ChatConnector {
  readonly platform: ChatPlatform;
  /** The token's environment variable name (never the token): what makes two agents share a bot. */
  readonly key: string;
  /** Resolves once connected; rejects (and reports state "failed") when it cannot connect. */
  start(): Promise<void>;
  stop(): Promise<void>;
  state(): ConnectorState;
}

/** A connector's state with the names that identify it, as status and GET /api/connectors show it. */
export interface ConnectorStatus extends ConnectorState {
  platform: ChatPlatform;
  key: string;
}

/** The agents that share one token on one platform. */
export interface ConnectorGroup {
  platform: ChatPlatform;
  key: string;
  agents: ResolvedAgent[];
}

/** What a connector may use of the fleet: its turns, the environment for its token, and the log. */
export interface ConnectorHost {
  /** Runs one chat turn and streams its events; see turn-runner.ts. */
  runTurn(request: TurnRequest): AsyncIterable<TurnEvent>;
  /**
   * A chat user's decision on a request of the conversation `key` (its chat with `agent`). The
   * connector has checked the user may talk to the agent there; the fleet checks the request is
   * that chat's. Throws a FleetError with words for the user (and audits the refusal).
   */
  decideApproval(request: ChatDecision): ApprovalRecord;
  /** Records a refused attempt to decide (the user may not talk to the agent); returns what to tell them. */
  refuseApproval(id: string, decider: ChatDecider, why: string): string;
  /** The fleet's environment (process env over .env), where tokens are read from. */
  env(): Record<string, string | undefined>;
  /** A line for the daemon log. */
  log(line: string): void;
  /** Called by the connector on every state change; the registry logs it. */
  changed(state: ConnectorState): void;
  /** Time for `since` (the fleet's clock). */
  now(): Date;
}

/** What a platform module (loaded lazily, only when configured) exports. */
export interface ConnectorModule {
  createConnector(group: ConnectorGroup, host: ConnectorHost): ChatConnector;
}

/** A decision clicked or typed in a platform conversation. */
export interface ChatDecision {
  agent: string;
  key: string;
  id: string;
  decision: "approve" | "deny";
  reason?: string;
  decider: ChatDecider;
}
