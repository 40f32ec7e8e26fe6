import type { SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import type { ResolvedAgent } from "../../config/index.js";
import type { EgressLog } from "../../proxy/egress-log.js";
import type { ConfigGuard } from "./host-guard.js";
import type { Launcher } from "./launcher.js";

/** What a runtime yields: the Agent SDK's own message union, whichever runtime produced it. */
export type RuntimeMessage = SDKMessage;

export type RuntimeType = "sdk" | "cli";

export interface RuntimeExecuteOptions {
  prompt: string;
  agent: ResolvedAgent;
  /** The herdctl job this run belongs to; containers are labelled with it. */
  jobId?: string;
  /** A new session's id, minted by the caller so the job row knows it before claude starts. */
  sessionId?: string;
  /** Continue this session instead of starting one. */
  resume?: string;
  /** With `resume`: branch into `sessionId` (or a claude-minted id) and leave the original intact. */
  fork?: boolean;
  /** Aborting cancels the run: the process is told to stop, then killed after a short grace. */
  signal: AbortSignal;
  /**
   * The files no job may write. A host run turns it into claude deny rules; ContainerRunner mounts
   * them read-only instead and does not pass it on.
   */
  guard?: ConfigGuard;
  /** Host process by default; ContainerRunner supplies a docker exec launcher. */
  launcher?: Launcher;
  /** The environment claude starts from: the host's by default, a container's under Docker. */
  baseEnv?: Record<string, string | undefined>;
  /** Extra environment for claude (credentials, ANTHROPIC_BASE_URL); wins over agent.env. */
  env?: Record<string, string>;
  /** The claude executable as the launcher sees it. */
  claudePath?: string;
  /** Ends a run that has produced no output for this long. */
  inactivityTimeoutMs?: number;
  /** Ends a run that takes longer than this overall. */
  timeoutMs?: number;
  /** Called with each chunk of claude's stderr (already redacted). */
  onStderr?: (text: string) => void;
  /** Called once the job's container is ready, with its id (Docker agents only). */
  onContainer?: (info: { id: string; reused: boolean }) => void;
  /** Records what a proxy-only container reached through herdctl's egress proxy. */
  egress?: EgressLog;
  /** Called once the process is started, with its host pid when it has one. */
  onSpawn?: (info: { pid: number | undefined }) => void;
  /** claude settings herdctl lays over the agent's settings files for this run (`--settings`). */
  settings?: Record<string, unknown>;
  /** Tool calls that wait for a person's decision (the agent's `approvals`). */
  approvals?: ToolApprovals;
}

/** A tool call that matched one of the agent's `approvals` rules, as claude asks about it. */
export interface ToolPermissionRequest {
  toolName: string;
  input: Record<string, unknown>;
  toolUseId?: string;
}

export type ToolPermissionDecision = { behavior: "allow" } | { behavior: "deny"; message: string };

/**
 * Tool calls a person decides: the rules become claude `ask` rules (they win over allowed tools and
 * the permission mode), and each call they catch waits on `ask` while claude is paused.
 */
export interface ToolApprovals {
  readonly rules: readonly string[];
  ask(request: ToolPermissionRequest, signal: AbortSignal): Promise<ToolPermissionDecision>;
}

/** What opening a live conversation takes: a run's options without the prompt and its limits. */
export type ConversationOptions = Omit<
  RuntimeExecuteOptions,
  "prompt" | "fork" | "signal" | "timeoutMs" | "inactivityTimeoutMs"
>;

/** Limits and cancel of one turn of a live conversation. */
export interface TurnOptions {
  signal: AbortSignal;
  timeoutMs?: number;
  inactivityTimeoutMs?: number;
  /** The turn's own approvals (its job's records); the process was opened with the same rules. */
  approvals?: ToolApprovals;
}

/**
 * One claude process kept between turns: each turn writes a user message and yields until its
 * `result`. A turn that ends any other way (cancel, timeout, the process died) closes the
 * conversation, so nothing of a half-turn leaks into the next one.
 */
export interface LiveConversation {
  /** The process's host pid, when it has one. */
  readonly pid: number | undefined;
  /** The container the process runs in (Docker agents). */
  readonly containerId?: string;
  readonly closed: boolean;
  turn(prompt: string, options: TurnOptions): AsyncIterable<RuntimeMessage>;
  close(): Promise<void>;
}

export interface RuntimeInterface {
  readonly type: RuntimeType;
  /**
   * Runs claude once. Yields every message as it arrives and ends after the `result` message.
   * Throws a RuntimeError (with a `reason`) when the run ends any other way.
   */
  execute(options: RuntimeExecuteOptions): AsyncIterable<RuntimeMessage>;
  /** Starts claude for several turns (streaming input); runtimes without it run a process per turn. */
  open?(options: ConversationOptions): Promise<LiveConversation>;
}

/**
 * Runs a job's claude some other way than one `execute` per job: a chat hands the executor one
 * that keeps its claude process between turns.
 */
export interface ConversationHost {
  run(runtime: RuntimeInterface, options: RuntimeExecuteOptions): AsyncIterable<RuntimeMessage>;
}
