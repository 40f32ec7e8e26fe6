import type { ConfigIssue } from "./errors.js";
import { flattenPermissions } from "./permissions-block.js";
import { fromJS, getChild, originIssue, type SNode } from "./source.js";
import { MIGRATING_DOC, unsupportedNote } from "./unsupported-keys.js";

// Sections of the reference herdctl format that this herdctl does not implement. They load (so an
// existing fleet keeps working) with a warning rather than being silently dropped.
const IGNORED_AGENT_KEYS = ["work_source", "identity", "repo", "self_scheduling"];
const IGNORED_WEB_KEYS = ["open_browser"];
const IGNORED_FLEET_KEYS = ["chat", "working_directory"];
const IGNORED_SCHEDULE_KEYS = ["work_source"];

type MapNode = Extract<SNode, { kind: "map" }>;

function asMap(node: SNode | undefined): MapNode | undefined {
  return node?.kind === "map" ? node : undefined;
}

function ignore(
  map: MapNode,
  key: string,
  label: string,
  warnings: ConfigIssue[],
  noteKey = label.replaceAll('"', "").replace(/^web\./, ""),
): void {
  const node = map.entries.get(key);
  if (!node) return;
  map.entries.delete(key);
  const note = unsupportedNote(noteKey);
  warnings.push(
    originIssue(node.origin, `${label} is not supported by herdctl and is ignored: ${note.why}`, {
      at: "key",
      hint: note.hint,
    }),
  );
}

function rename(map: MapNode, from: string, to: string, warnings: ConfigIssue[]): void {
  const node = map.entries.get(from);
  if (!node) return;
  map.entries.delete(from);
  if (map.entries.has(to)) {
    warnings.push(
      originIssue(node.origin, `"${from}" is ignored because "${to}" is also set`, { at: "key" }),
    );
    return;
  }
  map.entries.set(to, node);
  warnings.push(
    originIssue(node.origin, `"${from}" is deprecated; use "${to}"`, {
      at: "key",
      hint: `rename the key to ${to}`,
    }),
  );
}

/**
 * Rewrites an agent-shaped tree (agent file, `defaults`, or `overrides`) in place. Problems that
 * make the meaning unclear (both spellings of one setting) go to `issues`.
 */
export function normalizeAgent(
  node: SNode | undefined,
  warnings: ConfigIssue[],
  issues: ConfigIssue[],
): void {
  const agent = asMap(node);
  if (!agent) return;
  for (const key of IGNORED_AGENT_KEYS) ignore(agent, key, `"${key}"`, warnings);
  rename(agent, "workspace", "working_directory", warnings);
  flattenPermissions(agent, issues);
  workingDirectoryMapping(agent, warnings);

  for (const schedule of asMap(agent.entries.get("schedules"))?.entries.values() ?? []) {
    const map = asMap(schedule);
    if (!map) continue;
    rename(map, "expression", "cron", warnings);
    for (const key of IGNORED_SCHEDULE_KEYS) ignore(map, key, `"${key}"`, warnings);
  }
  const schedules = asMap(agent.entries.get("schedules"));
  for (const [name, schedule] of schedules?.entries ?? []) {
    const type = getChild(schedule, "type");
    if (type?.kind === "scalar" && type.value === "chat")
      ignore(schedules!, name, `chat schedule "${name}"`, warnings, "chat");
  }

  chatSection(agent, warnings);

  const session = asMap(agent.entries.get("session"));
  if (session) ignore(session, "model", '"session.model"', warnings);

  for (const server of asMap(agent.entries.get("mcp_servers"))?.entries.values() ?? []) {
    const map = asMap(server);
    if (!map || map.entries.has("type") || !map.entries.has("url")) continue;
    const url = map.entries.get("url")!;
    map.entries.set("type", fromJS("http", url.origin));
    warnings.push(
      originIssue(map.origin, "an MCP server with a url and no type is treated as type: http", {
        at: "key",
        hint: "add type: http (or type: sse)",
      }),
    );
  }

  const docker = asMap(agent.entries.get("docker"));
  if (docker) rename(docker, "base_image", "image", warnings);
}

/** Rewrites a fleet file's tree (or a sub-fleet reference's `overrides`) in place. */
export function normalizeFleet(
  node: SNode | undefined,
  warnings: ConfigIssue[],
  issues: ConfigIssue[],
): void {
  const fleet = asMap(node);
  if (!fleet) return;
  rename(fleet, "workspace", "working_directory", warnings);
  for (const key of IGNORED_FLEET_KEYS) ignore(fleet, key, `"${key}"`, warnings);
  const web = asMap(fleet.entries.get("web"));
  if (web) for (const key of IGNORED_WEB_KEYS) ignore(web, key, `"web.${key}"`, warnings);

  // The reference format also accepted Docker settings at the top level; they are fleet-wide
  // defaults, and dropping them would silently run agents outside their containers.
  const docker = fleet.entries.get("docker");
  if (docker) {
    fleet.entries.delete("docker");
    let defaults = asMap(fleet.entries.get("defaults"));
    if (!defaults && !fleet.entries.has("defaults")) {
      defaults = { kind: "map", origin: docker.origin, entries: new Map() };
      fleet.entries.set("defaults", defaults);
    }
    if (defaults) {
      const own = asMap(defaults.entries.get("docker"));
      const merged: SNode =
        own && docker.kind === "map"
          ? { ...own, entries: new Map([...docker.entries, ...own.entries]) }
          : (defaults.entries.get("docker") ?? docker);
      defaults.entries.set("docker", merged);
    }
    warnings.push(
      originIssue(docker.origin, 'top-level "docker" is deprecated; use defaults.docker', {
        at: "key",
        hint: "move the block under defaults:",
      }),
    );
  }

  normalizeAgent(fleet.entries.get("defaults"), warnings, issues);
  for (const list of ["agents", "fleets"]) {
    const seq = fleet.entries.get(list);
    if (seq?.kind !== "seq") continue;
    for (const ref of seq.items) {
      const refOverrides = getChild(ref, "overrides");
      if (list === "agents") normalizeAgent(refOverrides, warnings, issues);
      else normalizeFleet(refOverrides, warnings, issues);
    }
  }
}

/** Chat platforms herdctl connects to; another platform under `chat:` is loaded with a warning. */
const CHAT_PLATFORMS = ["discord", "slack"];
// Reference keys of a Discord bot that herdctl does not act on (see docs/migrating.md#chat).
const IGNORED_DISCORD_KEYS = ["voice"];
const IGNORED_DISCORD_OUTPUT_KEYS = [
  "acknowledge_emoji",
  "progress_indicator",
  "concise_mode",
  "system_status",
  "tool_result_max_length",
  "final_answer_only",
];

function chatSection(agent: MapNode, warnings: ConfigIssue[]): void {
  const chat = asMap(agent.entries.get("chat"));
  if (!chat) return;
  for (const key of [...chat.entries.keys()])
    if (!CHAT_PLATFORMS.includes(key)) ignore(chat, key, `"chat.${key}"`, warnings, "chat");
  slackSection(chat, warnings);
  const discord = asMap(chat.entries.get("discord"));
  if (!discord) return;
  for (const key of IGNORED_DISCORD_KEYS)
    ignore(discord, key, `"chat.discord.${key}"`, warnings, "chat.discord");
  const output = asMap(discord.entries.get("output"));
  if (output) {
    // The reference's older spelling of assistant_messages: answers.
    const finalOnly = getChild(output, "final_answer_only");
    if (finalOnly?.kind === "scalar" && !output.entries.has("assistant_messages")) {
      output.entries.delete("final_answer_only");
      output.entries.set(
        "assistant_messages",
        fromJS(finalOnly.value === false ? "all" : "answers", finalOnly.origin),
      );
    }
    for (const key of IGNORED_DISCORD_OUTPUT_KEYS)
      ignore(output, key, `"chat.discord.output.${key}"`, warnings, "chat.discord");
  }
  for (const guild of asSeq(discord.entries.get("guilds"))) {
    const map = asMap(guild);
    if (map) ignore(map, "dm", '"chat.discord.guilds[].dm"', warnings, "chat.discord.guilds.dm");
  }
}

// The reference's Slack output key for tool results; herdctl names the tools, never their output.
const IGNORED_SLACK_OUTPUT_KEYS = ["tool_result_max_length"];

function slackSection(chat: MapNode, warnings: ConfigIssue[]): void {
  const output = asMap(asMap(chat.entries.get("slack"))?.entries.get("output"));
  if (!output) return;
  for (const key of IGNORED_SLACK_OUTPUT_KEYS)
    ignore(output, key, `"chat.slack.output.${key}"`, warnings, "chat.slack");
}

function asSeq(node: SNode | undefined): SNode[] {
  return node?.kind === "seq" ? node.items : [];
}

/**
 * The reference's mapping form of the working directory: `root` (or `path`, which the reference's
 * own examples use) is the folder. herdctl never clones, so the clone settings only draw a warning.
 */
function workingDirectoryMapping(agent: MapNode, warnings: ConfigIssue[]): void {
  const mapping = asMap(agent.entries.get("working_directory"));
  if (!mapping) return;
  const folder = mapping.entries.get("root") ?? mapping.entries.get("path");
  if (!folder) return;
  agent.entries.set("working_directory", folder);
  const others = [...mapping.entries.keys()].filter((key) => key !== "root" && key !== "path");
  if (others.length === 0) return;
  warnings.push(
    originIssue(
      mapping.origin,
      `${others.join(", ")} ${others.length === 1 ? "is" : "are"} ignored: herdctl does not clone repositories; ` +
        `the folder must exist before the first job (${MIGRATING_DOC}#working-directory)`,
      { at: "key", hint: "write working_directory: <path> to silence this warning" },
    ),
  );
}
