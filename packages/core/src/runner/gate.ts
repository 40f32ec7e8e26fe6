import type { Gate } from "../config/gate.js";
import type { ResolvedAgent } from "../config/index.js";
import { formatMs } from "../hooks/errors.js";
import { CREDENTIAL_ENV_NAMES } from "../secrets/redactor.js";
import type { Launcher } from "./runtime/launcher.js";
import { runSandboxedCommand } from "./sandboxed-command.js";

/** What a gate decided: run with its output as context, skip (no work), or fail. */
export type GateDecision =
  | { kind: "run"; output: string; truncated: boolean }
  | { kind: "skip"; summary: string }
  | { kind: "fail"; error: string };

export interface GateRun {
  agent: ResolvedAgent;
  gate: Gate;
  jobId: string;
  schedule: string;
  /** The agent's container, or none for the host. */
  launcher?: Launcher;
  /** The base environment on the host (herdctl's own); a container starts from its own. */
  hostEnv: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/**
 * Runs a schedule's gate where the agent's commands run. Exit 0 means there is work, exit 1 that
 * there is none; anything else (another code, a signal, the timeout, no shell) is the gate's
 * failure, which fails the job rather than silently skipping work.
 */
export async function runGate(run: GateRun): Promise<GateDecision> {
  const { agent, gate } = run;
  let result: Awaited<ReturnType<typeof runSandboxedCommand>>;
  try {
    result = await runSandboxedCommand(gate.run, {
      cwd: agent.working_directory,
      env: gateEnv(run),
      timeoutMs: gate.timeout,
      signal: run.signal,
      launcher: run.launcher,
      stdoutLimit: gate.max_output,
    });
  } catch (error) {
    return { kind: "fail", error: `the gate could not start: ${(error as Error).message}` };
  }
  const stderr = result.stderrTail ? `; stderr: ${result.stderrTail}` : "";
  if (result.stopped === "timeout")
    return {
      kind: "fail",
      error: `the gate ran longer than its timeout (${formatMs(gate.timeout)})${stderr}`,
    };
  if (result.stopped === "aborted") return { kind: "fail", error: "the gate was cancelled" };
  if (result.code === 0) return { kind: "run", output: result.stdout, truncated: result.stdoutTruncated };
  if (result.code === 1) {
    const said = firstLine(result.stdout);
    return { kind: "skip", summary: said ? `skipped by the gate: ${said}` : "skipped by the gate: no work" };
  }
  if (result.code !== null)
    return { kind: "fail", error: `the gate exited with code ${result.code} (0 runs, 1 skips)${stderr}` };
  return { kind: "fail", error: `the gate was killed by ${result.signal ?? "a signal"}${stderr}` };
}

/** The prompt the model gets after a gate that found work: the gate's output follows it. */
export function promptWithGateOutput(
  prompt: string,
  decision: { output: string; truncated: boolean },
): string {
  const output = decision.output.trimEnd();
  if (output === "") return prompt;
  const cut = decision.truncated ? "\n(the gate's output was cut at its max_output)" : "";
  return `${prompt}\n\nThe schedule's gate found work. Its output:\n<gate-output>\n${output}\n</gate-output>${cut}`;
}

/**
 * The agent's own variables over herdctl's (on the host), without claude's credentials (a gate
 * never needs the model), plus which job and schedule this is.
 */
function gateEnv(run: GateRun): Record<string, string> {
  const env: Record<string, string> = {};
  const base = run.launcher ? {} : run.hostEnv;
  for (const source of [base, run.agent.env ?? {}])
    for (const [name, value] of Object.entries(source)) if (value !== undefined) env[name] = value;
  for (const name of CREDENTIAL_ENV_NAMES) delete env[name];
  Object.assign(env, {
    HERDCTL_FLEET: run.agent.fleetName,
    HERDCTL_AGENT: run.agent.name,
    HERDCTL_SCHEDULE: run.schedule,
    HERDCTL_JOB_ID: run.jobId,
    HERDCTL_WORKING_DIRECTORY: run.agent.working_directory,
  });
  return env;
}

function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
