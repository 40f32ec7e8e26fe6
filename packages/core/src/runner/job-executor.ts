import { randomUUID } from "node:crypto";
import type { ApprovalBroker } from "../approvals/broker.js";
import { AGENT_GATE_HINT, AGENT_GATE_REFUSED, type Gate, gatePlacement } from "../config/gate.js";
import type { ResolvedAgent } from "../config/index.js";
import {
  buildApprovalHookContext,
  buildHookContext,
  type HookApproval,
  type HookBudget,
  type HookContext,
  type HookUsageLimit,
  runHooks,
} from "../hooks/index.js";
import { JobMemory, memorySettings } from "../memory/index.js";
import { EgressLog } from "../proxy/egress-log.js";
import { Redactor } from "../secrets/redactor.js";
import { LiveTranscript } from "../sessions/live-store.js";
import { transcriptPlace } from "../sessions/place.js";
import { waitForTranscriptText } from "../sessions/transcript-wait.js";
import { findTranscript } from "../sessions/transcripts.js";
import { type Queryable, restoreTranscript, type StoreOptions, storeTranscript } from "../sessions/travel.js";
import type { HookError, JobRecord, StateManager, TriggerType } from "../state/index.js";
import { type WakeCapture, WakeCaptureStream } from "../wakes/capture.js";
import { recordWake } from "../wakes/record.js";
import {
  describeMetadataRead,
  type MetadataBaseline,
  metadataBaseline,
  metadataFileFor,
  readAgentMetadata,
} from "./agent-metadata.js";
import { recordConfigTamper, TamperWatch } from "./config-tamper.js";
import { type GateDecision, promptWithGateOutput, runGate } from "./gate.js";
import { HookSandbox } from "./hook-placement.js";
import { decideOutcome, OutcomeTracker, sessionWasMissing } from "./job-outcome.js";
import { OFFLINE_NOTICE, withoutCost } from "./offline-cost.js";
import { NO_OUTPUT_LOG, openOutputLog } from "./output-log.js";
import {
  asInterruptedAtStop,
  notingWaitingCall,
  PAUSE_FLUSH_LIMIT_MS,
  pauseOnceFlushed,
} from "./paused-at-stop.js";
import { recordJobEnd } from "./record-end.js";
import { type ContainerRunnerDependencies, RuntimeFactory } from "./runtime/factory.js";
import type { ConfigGuard } from "./runtime/host-guard.js";
import type {
  ConversationHost,
  RuntimeExecuteOptions,
  RuntimeInterface,
  RuntimeMessage,
} from "./runtime/interface.js";
import { readProcessGroup } from "./runtime/process-group.js";
import type { WarmClaim, WarmClaudes } from "./runtime/warm-claudes.js";
import { chooseSession, contextTokensOf, type SessionRequest } from "./session-policy.js";

export interface JobExecutorOptions {
  state: StateManager;
  /** Host path of claude; resolved once by the caller. */
  claudePath?: string;
  /** Added to every claude environment: credentials, or the stand-in's address offline. */
  env?: Record<string, string>;
  /** The fleet's known secret values (LoadedFleet.secretValues), read per job so a reload counts. */
  secrets?: () => Iterable<string>;
  /** claude talks to the stand-in: each job says so, and records no cost (see offline-cost.ts). */
  offline?: boolean;
  /** Where hooks read secret_env and what shell hooks inherit; process.env when unset. Read per job. */
  hookEnv?: () => NodeJS.ProcessEnv;
  /** LoadedFleet.protectedPaths, read per job so a reload counts: files no job may write. */
  protectedPaths?: () => readonly string[];
  containers?: ContainerRunnerDependencies;
  /** Replaces RuntimeFactory.create; for embedding, not for tests of herdctl itself. */
  createRuntime?: (agent: ResolvedAgent) => RuntimeInterface;
  clock?: () => Date;
  warn?: (message: string) => void;
  /** Pauses the tool calls an agent's `approvals` rules name until a person decides. */
  approvals?: ApprovalBroker;
  /** claude processes started ahead of host agents' next fresh jobs (the daemon's; see warm-claudes.ts). */
  warm?: WarmClaudes;
  /** PostgreSQL: the largest session transcript stored for other machines (STORED_TRANSCRIPT_LIMIT). */
  storedTranscriptLimit?: number;
}

export interface JobRequest {
  agent: ResolvedAgent;
  prompt: string;
  triggerType: TriggerType;
  schedule?: string;
  /**
   * A function is asked when the job starts, not when it is queued: a chat turn waiting behind
   * another continues the session that turn ends with.
   */
  session?: SessionRequest | (() => SessionRequest);
  /**
   * Whose session the job runs in. Only the agent's own jobs move the agent's session pointer; a
   * chat keeps its session in the chat (default "agent").
   */
  sessionOwner?: "agent" | "chat";
  /** Jobs in one lane never run at the same time, whatever the agent's max_concurrent (a chat's turns). */
  lane?: string;
  /** Runs claude instead of one `execute` per job: a chat keeps its process between turns. */
  conversation?: ConversationHost;
  /** The interrupted job this one continues (`on_interrupt: resume`). */
  resumedFrom?: string;
  /** The finished job whose session this one branches (see sessions/fork.ts for the checks). */
  forkedFrom?: string;
  /** An automatic retry: which attempt this is, and the chain's first job. */
  retry?: { attempt: number; of: string };
  /** The schedule's gate: run first, it decides whether the model runs at all. */
  gate?: Gate;
}

export interface RunCallbacks {
  signal?: AbortSignal;
  onStart?: (job: JobRecord) => void;
  onMessage?: (message: RuntimeMessage, job: JobRecord) => void;
  onNotice?: (text: string, job: JobRecord) => void;
}

/** A line herdctl itself adds to a job's output, beside claude's own messages. */
export interface HerdctlNotice {
  type: "herdctl";
  subtype: "notice";
  text: string;
}

export function herdctlNotice(text: string): HerdctlNotice {
  return { type: "herdctl", subtype: "notice", text };
}

/**
 * Owns one job from its row's creation to its terminal status: picks the session, runs the
 * runtime, streams every message to the job's output file, and records the outcome.
 */
export class JobExecutor {
  private readonly clock: () => Date;

  constructor(private readonly options: JobExecutorOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  private redactorFor(agent: ResolvedAgent): Redactor {
    return Redactor.fromEnv(process.env, this.options.env, agent.env).with(this.options.secrets?.() ?? []);
  }

  /**
   * Records the job as queued; `run` starts it. Split so admission control can hold it.
   * `workerId`: on PostgreSQL, the daemon that runs it itself (its record says who runs it).
   */
  enqueue(request: JobRequest, workerId?: string): JobRecord {
    const { agent } = request;
    return this.options.state.jobs.create({
      agent: agent.name,
      triggerType: request.triggerType,
      schedule: request.schedule ?? null,
      prompt: this.redactorFor(agent).redact(request.prompt),
      runtime: agent.runtime ?? "sdk",
      docker: agent.docker?.enabled === true,
      offline: this.options.offline === true,
      resumedFrom: request.resumedFrom ?? null,
      forkedFrom: request.forkedFrom ?? null,
      attempt: request.retry?.attempt,
      retryOf: request.retry?.of ?? null,
      workerId: workerId ?? null,
    });
  }

  async run(jobId: string, request: JobRequest, callbacks: RunCallbacks = {}): Promise<JobRecord> {
    const { warm } = this.options;
    // The agent's warm claude leaves the pool as any of its jobs starts: used by this one, or ended.
    const usable =
      warm && !request.agent.docker?.enabled && !request.conversation && !this.options.createRuntime;
    if (!usable) warm?.discard(request.agent.name);
    const claim = usable ? warm.claim(request.agent.name) : undefined;
    try {
      return await this.runWith(jobId, request, callbacks, claim);
    } finally {
      claim?.release();
    }
  }

  private async runWith(
    jobId: string,
    request: JobRequest,
    callbacks: RunCallbacks,
    claim: WarmClaim | undefined,
  ): Promise<JobRecord> {
    const { state } = this.options;
    const { agent } = request;
    const docker = agent.docker?.enabled === true;
    const runtimeType = agent.runtime ?? "sdk";
    const signal = callbacks.signal ?? new AbortController().signal;
    const redactor = this.redactorFor(agent);
    const tamper = new TamperWatch(agent, this.guard());
    const requested = typeof request.session === "function" ? request.session() : request.session;
    const choice = chooseSession(requested ?? { mode: "fresh" }, state.sessions.get(agent.name), {
      workingDirectory: agent.working_directory,
      runtime: runtimeType,
      docker,
      timeoutMs: agent.session?.timeout,
      now: this.clock(),
      contextTokens: (sessionId) => {
        const last = state.jobs.lastCompletedInSession(sessionId);
        return last && contextTokensOf(last);
      },
      memory: memorySettings(agent) !== undefined,
    });
    // A fresh session takes the warm claude's id: its argv must be the one that process started with.
    let newSessionId = !choice.resume
      ? (claim?.sessionId ?? randomUUID())
      : choice.fork
        ? randomUUID()
        : undefined;
    const metadataFile = metadataFileFor(agent);
    const baseline = metadataFile && (await metadataBaseline(agent.working_directory, metadataFile));
    let job = state.jobs.start(jobId, { sessionId: newSessionId ?? choice.resume ?? null });
    callbacks.onStart?.(job);
    const outputLog = request.agent.schedules?.[request.schedule ?? ""]?.outputToFile
      ? openOutputLog(state.jobsDir, jobId, { clock: this.clock, warn: this.options.warn })
      : NO_OUTPUT_LOG;
    const record = (message: unknown) => {
      state.appendJobOutput(jobId, message);
      outputLog.write(message);
    };
    const notice = (text: string) => {
      record(herdctlNotice(text));
      callbacks.onNotice?.(text, job);
    };
    if (outputLog.problem) notice(outputLog.problem);
    if (this.options.offline) notice(OFFLINE_NOTICE);
    let prompt = request.prompt;
    if (request.gate) {
      const decision = await this.decideByGate(jobId, request, request.gate, signal);
      if (decision.kind === "run") {
        const output = redactor.redact(decision.output.trimEnd());
        notice(
          output === ""
            ? "the gate found work (exit 0, no output)"
            : `the gate found work (exit 0); its output, added to the prompt:\n${output}`,
        );
        // Redacted for the model too: a gate that prints a token hands the agent nothing.
        prompt = promptWithGateOutput(prompt, { output, truncated: decision.truncated });
      } else {
        // No model call was made: no session moves, and a skip runs no hooks (nothing happened).
        const skipped = decision.kind === "skip";
        const text = skipped ? decision.summary : redactor.redact(decision.error);
        notice(text);
        await state.jobOutputStored(jobId);
        job = state.jobs.finish(jobId, {
          sessionId: null,
          ...(signal.aborted
            ? { status: "cancelled", exitReason: "cancelled" }
            : skipped
              ? { status: "skipped", exitReason: "gate", summary: text }
              : { status: "failed", exitReason: "gate", error: text }),
        });
        outputLog.close();
        state.central?.announce(jobId);
        return job.status === "failed" ? this.runHooks(job, agent, redactor) : job;
      }
    }

    if (choice.notice) notice(choice.notice);
    if (choice.resume) {
      notice(`${choice.fork ? "forking" : "resuming"} session ${choice.resume}`);
      await this.restoreSession(agent, choice.resume, notice);
    }
    // A chat turn reads the notes but stores nothing: its kept process and a scheduled job of the
    // same agent would otherwise overwrite each other's file mid-run.
    const memory = JobMemory.for(
      agent,
      { state, redactor, notice },
      { writeBack: request.triggerType !== "chat" },
    );
    const runAgent = memory ? await memory.prepare() : agent;
    // Each refused destination is said once in the job's output; every attempt is counted in the record.
    const refusedOnce = new Set<string>();
    const egress = new EgressLog((host, port, reason) => {
      const key = `${host}:${port}`;
      if (refusedOnce.has(key)) return;
      refusedOnce.add(key);
      notice(redactor.redact(`egress to ${key} refused: ${reason}`));
    });

    const wakes = new WakeCaptureStream();
    // SQLite is one machine: no other one resumes its jobs, so nothing is stored and nothing costs.
    const live = state.central
      ? new LiveTranscript({
          store: (sessionId, options) => this.storeTranscriptOf(agent, sessionId, options),
          problem: notice,
        })
      : undefined;
    const attempt = async (session: { sessionId?: string; resume?: string; fork?: boolean }) => {
      const tracker = new OutcomeTracker();
      let failure: unknown;
      let waitingCall: string | undefined;
      const runSignal = pauseOnceFlushed(signal, async () => {
        const sessionId = tracker.sessionId;
        if (!waitingCall || !sessionId) return;
        const place = transcriptPlace(agent, { stateDir: state.stateDir, env: this.options.env });
        const held = await waitForTranscriptText(
          () => findTranscript(place.configDir, place.cwd, sessionId),
          `"id":${JSON.stringify(waitingCall)}`,
          PAUSE_FLUSH_LIMIT_MS,
        );
        if (!held)
          notice(
            `claude had not written the call waiting for approval to its transcript ${PAUSE_FLUSH_LIMIT_MS / 1000} s after the stop; the resumed job may ask for it again`,
          );
      });
      try {
        const runtime = this.options.createRuntime
          ? this.options.createRuntime(agent)
          : RuntimeFactory.create(agent, {
              stateDir: state.stateDir,
              claudePath: this.options.claudePath,
              containers: this.options.containers,
              warn: this.options.warn,
            });
        const run = request.conversation
          ? (options: RuntimeExecuteOptions) => request.conversation!.run(runtime, options)
          : (options: RuntimeExecuteOptions) => runtime.execute(options);
        const messages = run({
          prompt,
          agent: runAgent,
          jobId,
          ...session,
          signal: runSignal,
          env: this.options.env,
          timeoutMs: agent.timeout,
          inactivityTimeoutMs: agent.inactivity_timeout,
          guard: this.guard(),
          launcher: claim?.launcher,
          egress,
          approvals:
            agent.approvals && this.options.approvals
              ? notingWaitingCall(
                  this.options.approvals.forJob({
                    jobId,
                    agent: agent.name,
                    config: agent.approvals,
                    redactor,
                    continues: request.resumedFrom ? [request.resumedFrom] : [],
                    notice,
                  }),
                  (id) => {
                    waitingCall = id;
                  },
                )
              : undefined,
          onContainer: ({ id }) => {
            job = state.jobs.update(jobId, { containerId: id });
          },
          onSpawn: ({ pid }) => {
            if (pid !== undefined)
              job = state.jobs.update(jobId, { pid, processGroup: readProcessGroup(pid) ?? null });
          },
        });
        for await (const raw of messages) {
          const message = redactor.redactDeep(raw);
          tracker.observe(message);
          record(message);
          callbacks.onMessage?.(message, job);
          if (message.type === "assistant" || message.type === "user")
            live?.grew(tracker.sessionId ?? job.sessionId);
          for (const capture of wakes.observe(message))
            this.keepWake(capture, agent, jobId, (text) => notice(redactor.redact(text)));
          // claude keeps its process alive for the timers it holds; herdctl keeps them instead.
          if (message.type === "result" && wakes.holdsTimers) break;
          for (const hit of tamper.check(message)) {
            const verb = hit.tool === "Read" ? "read" : "change";
            const text = `agent ${agent.name} tried to ${verb} ${hit.path} (${hit.tool}); herdctl keeps the fleet's configuration and state out of every job's reach, so it was refused`;
            notice(text);
            this.options.warn?.(`job ${jobId}: ${text}`);
            recordConfigTamper(state, agent.name, { jobId, tool: hit.tool, path: hit.path });
          }
        }
      } catch (error) {
        failure = error;
      }
      return { tracker, failure };
    };

    let { tracker, failure } = await attempt({
      sessionId: newSessionId,
      resume: choice.resume,
      fork: choice.fork,
    });
    // A fork of a conversation claude cannot find must fail: a fresh session would not be a fork.
    if (choice.resume && !choice.fork && sessionWasMissing(tracker, failure) && !signal.aborted) {
      // claude found no transcript for the session (deleted, or made elsewhere): say so and start over.
      notice(`session ${choice.resume} was not found by claude; retrying once with a new session`);
      newSessionId = randomUUID();
      job = state.jobs.update(jobId, { sessionId: newSessionId });
      ({ tracker, failure } = await attempt({ sessionId: newSessionId }));
    }
    await memory?.collect(jobId);
    const decided = asInterruptedAtStop(signal, decideOutcome(tracker, failure));
    const outcome = this.options.offline ? withoutCost(decided) : decided;
    const metadata = baseline
      ? await this.readMetadata(agent, metadataFile!, baseline, redactor, notice)
      : undefined;
    const sessionId = tracker.sessionId ?? job.sessionId;
    // The end's store comes after the last mid-job one, so the longest copy is the one kept.
    await live?.finish();
    if (tracker.sessionId) await this.storeSession(agent, tracker.sessionId, notice);
    // Stored before the end is recorded: a reader elsewhere that sees the end has every line.
    await state.jobOutputStored(jobId);
    job = await recordJobEnd(
      state,
      jobId,
      () =>
        state.jobs.finish(jobId, {
          ...outcome,
          error: outcome.error ? redactor.redact(outcome.error) : outcome.error,
          sessionId,
          ...(metadata ? { metadata } : {}),
          ...(egress.entries().length > 0 ? { egress: egress.entries() } : {}),
        }),
      this.options.warn,
    );
    outputLog.close();
    state.central?.announce(jobId);
    this.options.approvals?.jobEnded(jobId, job.status, request.resumedFrom);
    job = await this.runHooks(job, agent, redactor);
    if (job.status === "completed" && tracker.sessionId && (request.sessionOwner ?? "agent") === "agent") {
      state.sessions.save({
        agent: agent.name,
        sessionId: tracker.sessionId,
        workingDirectory: agent.working_directory,
        runtime: runtimeType,
        docker,
      });
    }
    return job;
  }

  /**
   * On PostgreSQL, before a resume: claude's transcript of the session as stored after its last
   * job, written here when this machine has none or a shorter one (the job ran elsewhere). What
   * goes wrong is the job's notice; claude then resumes what this machine has, or starts over.
   */
  private async restoreSession(agent: ResolvedAgent, sessionId: string, notice: (text: string) => void) {
    const central = this.options.state.central;
    if (!central) return;
    try {
      const place = transcriptPlace(agent, { stateDir: this.options.state.stateDir, env: this.options.env });
      const db = (await central.connect()) as unknown as Queryable;
      const result = await restoreTranscript(
        db,
        agent.name,
        sessionId,
        place,
        this.options.storedTranscriptLimit,
      );
      if (result.kind === "restored")
        notice(`session ${sessionId}: its transcript (${result.bytes} bytes) was restored from the database`);
      else if (result.kind === "refused")
        notice(`session ${sessionId}: the stored transcript was not used (${result.reason})`);
    } catch (error) {
      notice(
        `session ${sessionId}: the stored transcript could not be restored (${(error as Error).message})`,
      );
    }
  }

  /** On PostgreSQL, after a job: claude's transcript of its session, stored for a resume elsewhere. */
  private async storeSession(agent: ResolvedAgent, sessionId: string, notice: (text: string) => void) {
    const central = this.options.state.central;
    if (!central) return;
    try {
      const result = await this.storeTranscriptOf(agent, sessionId);
      if (result.kind === "too-large")
        notice(
          `session ${sessionId}: its transcript (${result.bytes} bytes) is over the ${result.limit}-byte limit for stored sessions and was not stored; a resume on another machine starts a new session`,
        );
    } catch (error) {
      notice(`session ${sessionId}: its transcript could not be stored (${(error as Error).message})`);
    }
  }

  /** Through the central output's pool (async): no state statement blocks the event loop for it. */
  private async storeTranscriptOf(agent: ResolvedAgent, sessionId: string, options?: StoreOptions) {
    const central = this.options.state.central!;
    const place = transcriptPlace(agent, { stateDir: this.options.state.stateDir, env: this.options.env });
    const db = (await central.connect()) as unknown as Queryable;
    return storeTranscript(db, agent.name, sessionId, place, this.options.storedTranscriptLimit, options);
  }

  /** Runs the gate in the agent's sandbox; a gate that may not run there fails the job, never skips it. */
  private async decideByGate(
    jobId: string,
    request: JobRequest,
    gate: Gate,
    signal: AbortSignal,
  ): Promise<GateDecision> {
    const { agent } = request;
    const placement = gatePlacement(agent, gate);
    if (placement === "refused") return { kind: "fail", error: `${AGENT_GATE_REFUSED}; ${AGENT_GATE_HINT}` };
    const sandbox = new HookSandbox(agent, {
      jobId,
      guard: this.guard(),
      containers: this.options.containers,
      warn: this.options.warn,
    });
    try {
      const launcher = placement === "container" ? await sandbox.containerLauncher() : undefined;
      return await runGate({
        agent,
        gate,
        jobId,
        schedule: request.schedule ?? "",
        launcher,
        hostEnv: this.options.hookEnv?.() ?? process.env,
        signal,
      });
    } catch (error) {
      return { kind: "fail", error: `the gate's container could not start: ${(error as Error).message}` };
    } finally {
      await sandbox.release().catch((e) => this.options.warn?.(`job ${jobId}: ${(e as Error).message}`));
    }
  }

  /** The agent's metadata for this job, if it wrote a usable file; anything wrong is a notice. */
  private async readMetadata(
    agent: ResolvedAgent,
    file: string,
    baseline: MetadataBaseline,
    redactor: Redactor,
    notice: (text: string) => void,
  ) {
    const read = await readAgentMetadata(agent.working_directory, file, baseline, redactor);
    const text = describeMetadataRead(file, read);
    if (text !== undefined) notice(redactor.redact(text));
    return read.kind === "read" ? read.metadata : undefined;
  }

  /** A wake that cannot be stored is the job's notice, never its failure. `say` redacts. */
  private keepWake(capture: WakeCapture, agent: ResolvedAgent, jobId: string, say: (text: string) => void) {
    try {
      recordWake(capture, { state: this.options.state, agent, jobId, now: this.clock(), notice: say });
    } catch (error) {
      say(`wake not kept: ${(error as Error).message}`);
    }
  }

  private guard(): ConfigGuard {
    return { protectedPaths: this.options.protectedPaths?.() ?? [], stateDir: this.options.state.stateDir };
  }

  /** Hooks never change a job's status; their failures are recorded on it. */
  private async runHooks(job: JobRecord, agent: ResolvedAgent, redactor: Redactor): Promise<JobRecord> {
    if (!agent.hooks?.after_run?.length && !agent.hooks?.on_error?.length) return job;
    const failures = await this.hookFailures(
      agent,
      job.id,
      buildHookContext(job, agent, { redactor }),
      redactor,
    );
    if (failures.length === 0) return job;
    return this.options.state.jobs.update(job.id, { hookErrors: failures });
  }

  /**
   * The agent's hooks for a fleet event, given the job behind it: budget_exceeded with the job whose
   * cost reached the budget, usage_limited with the job that met the usage limit. They run in the
   * same places as the job's own hooks; failures are warned about and returned, never thrown.
   */
  async runEventHooks(
    job: JobRecord,
    agent: ResolvedAgent,
    event: { budget: HookBudget } | { usage_limit: HookUsageLimit },
  ): Promise<HookError[]> {
    const name = "budget" in event ? ("budget_exceeded" as const) : ("usage_limited" as const);
    if (!agent.hooks?.[name]?.length) return [];
    const redactor = this.redactorFor(agent);
    const context = { ...buildHookContext(job, agent, { redactor }), event: name, ...event };
    return this.hookFailures(agent, job.id, context, redactor);
  }

  /** The agent's approval_requested / approval_decided hooks, given the job that asked. Never throws. */
  async runApprovalHooks(
    job: JobRecord,
    agent: ResolvedAgent,
    event: "approval_requested" | "approval_decided",
    approval: HookApproval,
  ): Promise<HookError[]> {
    if (!agent.hooks?.[event]?.length) return [];
    const redactor = this.redactorFor(agent);
    const context = buildApprovalHookContext(job, agent, event, approval, { redactor });
    return this.hookFailures(agent, job.id, context, redactor);
  }

  private async hookFailures(
    agent: ResolvedAgent,
    jobId: string,
    context: HookContext,
    redactor: Redactor,
  ): Promise<HookError[]> {
    const sandbox = new HookSandbox(agent, {
      jobId,
      guard: this.guard(),
      containers: this.options.containers,
      warn: this.options.warn,
    });
    const results = await runHooks(agent.hooks, context, {
      redactor,
      env: this.options.hookEnv?.(),
      placeShell: sandbox.place,
    }).finally(() =>
      sandbox.release().catch((e) => this.options.warn?.(`job ${jobId}: ${(e as Error).message}`)),
    );
    const failures = results
      .filter((r) => !r.ok)
      .map((r) => ({ hook: r.hook, message: r.error ?? "failed" }));
    if (failures.length > 0)
      this.options.warn?.(`job ${jobId}: ${failures.map((f) => `${f.hook}: ${f.message}`).join("; ")}`);
    return failures;
  }

  /** enqueue + run, for callers with no admission control (a one-off `herdctl trigger`). */
  async execute(request: JobRequest, callbacks: RunCallbacks = {}): Promise<JobRecord> {
    const job = this.enqueue(request);
    return this.run(job.id, request, callbacks);
  }
}
