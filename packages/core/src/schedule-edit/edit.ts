import { readFile } from "node:fs/promises";
import { relative, sep } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parseDocument } from "yaml";
import { ConfigError, formatIssue, type LoadedFleet, loadFleet } from "../config/index.js";
import type { Segment } from "../config/source.js";
import { formatPath } from "../config/source.js";
import { valueAtPath } from "../config/written.js";
import { agentNotFound, nearestAgentNames, scheduleNotFound } from "../fleet-manager/errors.js";
import { ScheduleEditError } from "./errors.js";
import { type ScheduleEditRequest, ScheduleInputSchema, ScheduleNameSchema } from "./request.js";
import { mayBeShielded } from "./shielded.js";
import { replaceFileText } from "./write-file.js";
import { editScheduleText, type ScheduleChange } from "./yaml-splice.js";

/** What a schedule change did and where it was kept. */
export interface ScheduleEditResult {
  /** The fleet as it loads with the edit, for the caller to apply. */
  fleet: LoadedFleet;
  /** The file written (absolute) and as shown to the user. */
  file: string;
  display: string;
  /** False when the file already said so (enabling a schedule with no `enabled: false`). */
  written: boolean;
  action: "added" | "replaced" | "removed" | "enabled" | "disabled";
}

export interface ScheduleEditOptions {
  /** Loads the whole fleet with `overlay` in place of files. Default: loadFleet of the fleet file. */
  load?: (overlay: ReadonlyMap<string, string>) => Promise<LoadedFleet>;
  /**
   * For an agent given as an object rather than a file: the text it loaded from stands in for the
   * file, and `save` keeps the edited text instead of writing anything to disk.
   */
  inMemory?: (agent: string) => { display: string; save: (text: string) => void } | undefined;
}

/**
 * Changes one schedule in the YAML file that declares it: checks the request, refuses schedules
 * declared where the user must edit by hand, splices the file text, loads the whole fleet with the
 * new text in place of the file (so an invalid result writes nothing), then writes it.
 */
export async function editSchedule(
  loaded: LoadedFleet,
  request: ScheduleEditRequest,
  options: ScheduleEditOptions = {},
): Promise<ScheduleEditResult> {
  const agent = loaded.agents.find((a) => a.name === request.agent);
  if (!agent) {
    const names = loaded.agents.map((a) => a.name);
    throw agentNotFound(request.agent, names, nearestAgentNames(request.agent, names));
  }
  // Only a new name needs checking: any other is looked up among the agent's own schedules.
  const name = ScheduleNameSchema.safeParse(request.name);
  if (request.kind === "add" && !name.success)
    throw new ScheduleEditError(
      "SCHEDULE_BAD_REQUEST",
      `schedule name "${request.name}": ${name.error.issues[0]!.message}`,
    );
  const memory = options.inMemory?.(agent.name);
  const display = memory?.display ?? displayPath(loaded, agent.configPath);
  const sources = loaded.scheduleSources.get(agent.name)?.get(request.name);
  const owner: Segment[] = [];
  const own = [...owner, "schedules", request.name];

  if (sources) {
    const foreign = sources.find(
      (s) => s.absPath !== agent.configPath || !own.every((segment, i) => s.path[i] === segment),
    );
    if (foreign) {
      const where = `${displayPath(loaded, foreign.absPath)}:${foreign.line}:${foreign.col}`;
      throw new ScheduleEditError(
        "SCHEDULE_NOT_EDITABLE",
        `schedule ${request.name} of agent ${agent.name} is set in ${where} (${formatPath(foreign.path)}), ` +
          `not only in its agent file ${display}; herdctl edits agent files only, so change it there by hand`,
      );
    }
    if (request.kind === "add" && !request.replace) {
      const at = sources[0]!;
      throw new ScheduleEditError(
        "SCHEDULE_EXISTS",
        `agent ${agent.name} already has a schedule ${request.name} (${memory ? display : `${display}:${at.line}:${at.col}`}); ` +
          "pass --replace (API: replace: true) to change it, or pick another name",
      );
    }
  } else if (request.kind !== "add") {
    throw scheduleNotFound(agent.name, request.name, Object.keys(agent.schedules ?? {}));
  }

  let change: ScheduleChange;
  let action: ScheduleEditResult["action"];
  if (request.kind === "add") {
    const input = ScheduleInputSchema.safeParse(request.schedule);
    if (!input.success) {
      const issue = input.error.issues[0]!;
      const key = formatPath([...own, ...(issue.path as Segment[])]);
      const message =
        issue.path[0] === "type"
          ? "use interval or cron (webhook schedules carry a secret, so they are written by hand)"
          : issue.message;
      throw new ScheduleEditError("SCHEDULE_BAD_REQUEST", `${key}: ${message}`);
    }
    change = { kind: "put", name: request.name, schedule: input.data };
    action = sources ? "replaced" : "added";
  } else if (request.kind === "remove") {
    change = { kind: "remove", name: request.name };
    action = "removed";
  } else {
    change = { kind: "enabled", name: request.name, enabled: request.enabled };
    action = request.enabled ? "enabled" : "disabled";
  }

  const base = loaded.sourceTexts.get(agent.configPath);
  const current = memory ? (base ?? "{}") : await readFile(agent.configPath, "utf8");
  if (base !== undefined && current !== base && !sameEntry(base, current, own))
    throw new ScheduleEditError(
      "SCHEDULE_FILE_CONFLICT",
      `${display} changed on disk since the fleet loaded it, including ${formatPath(own)}; nothing was written. ` +
        "Check the file (a running daemon reloads it by itself), then try again",
    );
  const text = editScheduleText(current, owner, change);
  const written = text !== current;

  let fleet: LoadedFleet;
  try {
    const overlay = new Map([[agent.configPath, text]]);
    fleet = await (options.load ?? ((o) => loadFleet(loaded.configPath, { overlay: o })))(overlay);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ScheduleEditError(
      "SCHEDULE_INVALID",
      `the change was not written: ${display} would not load:\n${error.issues.map((i) => `  ${formatIssue(i)}`).join("\n")}`,
    );
  }
  if (written && memory) memory.save(text);
  else if (written)
    await replaceFileText(agent.configPath, text, {
      expected: current,
      display,
      inPlace: mayBeShielded(agent.configPath, loaded),
    });
  return { fleet, file: agent.configPath, display, written, action };
}

/** Whether the entry at `path` means the same in both texts (an edit elsewhere does not conflict). */
function sameEntry(a: string, b: string, path: Segment[]): boolean {
  const at = (text: string): unknown => {
    const doc = parseDocument(text, { merge: true });
    return doc.errors.length > 0 ? Symbol("unreadable") : valueAtPath(doc.toJS(), path);
  };
  return isDeepStrictEqual(at(a), at(b));
}

function displayPath(loaded: LoadedFleet, absPath: string): string {
  return relative(loaded.rootDir, absPath).split(sep).join("/");
}
