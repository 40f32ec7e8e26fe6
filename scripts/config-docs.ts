import {
  AGENT_DOCKER_KEYS,
  AgentSchema,
  DefaultsSchema,
  DiscordHookSchema,
  DockerSchema,
  FleetSchema,
  HooksSchema,
  InstancesSchema,
  McpServerSchema,
  PluginEntrySchema,
  PluginSchema,
  RetrySchema,
  ScheduleSchema,
  SessionSchema,
  ShellHookSchema,
  SlackHookSchema,
  WakesSchema,
  WebhookHookSchema,
  WebhooksSchema,
  WebSchema,
} from "../packages/core/src/config/schema.js";

/**
 * Renders the configuration key tables of docs/configuration.md from the zod schemas, so the
 * reference cannot drift from what the loader accepts. Pure: the generator script writes the
 * result, and a test compares it with the committed file.
 */

export const START_MARKER = "<!-- generated:start -->";
export const END_MARKER = "<!-- generated:end -->";

// Zod 4 keeps a schema's structure in `_zod.def`; the public API has no walker, so read it.
interface Def {
  type: string;
  innerType?: Schema;
  defaultValue?: unknown;
  shape?: Record<string, Schema>;
  element?: Schema;
  valueType?: Schema;
  options?: Schema[];
  entries?: Record<string, string>;
  values?: unknown[];
  checks?: Array<{ _zod: { def: { check: string; format?: string; value?: number; inclusive?: boolean } } }>;
  in?: Schema;
}
interface Schema {
  _zod: { def: Def };
  description?: string;
  safeParse(value: unknown): { success: boolean; data?: unknown };
}

interface Section {
  id: string;
  title: string;
  intro: string;
  schema: unknown;
  /** Extra column, e.g. where a Docker key may be written. */
  where?: (key: string) => string;
  /** Only these keys (in schema order). */
  only?: (key: string) => boolean;
}

const AGENT_DOCKER = new Set<string>(AGENT_DOCKER_KEYS);
const agentKeys = new Set(Object.keys(shapeOf(AgentSchema as unknown as Schema)));

const SECTIONS: Section[] = [
  {
    id: "fleet-file",
    title: "Fleet file (`herdctl.yaml`)",
    intro: "Top-level keys of the fleet file.",
    schema: FleetSchema,
  },
  {
    id: "agent",
    title: "Agent",
    intro:
      "Keys of an agent file. Every key but `name` may also be set under `defaults:` in the fleet file " +
      "and in `agents[].overrides`; the agent file wins over `defaults`, and overrides win over both.",
    schema: AgentSchema,
  },
  {
    id: "defaults",
    title: "Fleet-wide defaults",
    intro: "Keys only `defaults:` accepts; they configure the fleet and are not inherited by agents.",
    schema: DefaultsSchema,
    only: (key) => !agentKeys.has(key),
  },
  {
    id: "schedule",
    title: "Schedule (`schedules.<name>`)",
    intro: "One entry of an agent's `schedules` map.",
    schema: ScheduleSchema,
  },
  {
    id: "session",
    title: "Session (`session`)",
    intro: "How a saved session is continued.",
    schema: SessionSchema,
  },
  {
    id: "instances",
    title: "Instances (`instances`)",
    intro: "Concurrency of one agent's jobs.",
    schema: InstancesSchema,
  },
  {
    id: "retry",
    title: "Retry (`retry`)",
    intro: "Automatic retries of an agent's failed jobs, or of one schedule's (see [Retries](#retries)).",
    schema: RetrySchema,
  },
  {
    id: "wakes",
    title: "Wakes (`wakes`)",
    intro:
      "Wakes an agent schedules for itself with claude's ScheduleWakeup and CronCreate, kept and fired by herdctl (see [Wakes](wakes.md)).",
    schema: WakesSchema,
  },
  {
    id: "hooks",
    title: "Hooks (`hooks`)",
    intro: "Lists of hooks run when a job ends.",
    schema: HooksSchema,
  },
  {
    id: "shell-hook",
    title: "Shell hook (`type: shell`)",
    intro: "One entry of `after_run` or `on_error`.",
    schema: ShellHookSchema,
  },
  {
    id: "webhook-hook",
    title: "Webhook hook (`type: webhook`)",
    intro: "One entry of `after_run` or `on_error`.",
    schema: WebhookHookSchema,
  },
  {
    id: "discord-hook",
    title: "Discord hook (`type: discord`)",
    intro:
      "One entry of `after_run` or `on_error`: the bot posts the job's result (see [chat.md](chat.md#discord-notification-hooks)).",
    schema: DiscordHookSchema,
  },
  {
    id: "slack-hook",
    title: "Slack hook (`type: slack`)",
    intro:
      "One entry of `after_run` or `on_error`: posts the job's outcome to a channel (see [chat](chat.md#slack)).",
    schema: SlackHookSchema,
  },
  {
    id: "mcp-servers",
    title: "MCP servers (`mcp_servers.<name>`)",
    intro: "One entry of an agent's `mcp_servers` map; the `type` picks the variant.",
    schema: McpServerSchema,
  },
  {
    id: "plugin",
    title: "Plugins (`plugins[]`)",
    intro:
      "One entry of an agent's `plugins` list: a folder path (`- ./plugins/review`), or a mapping with " +
      "these keys (see [Plugins](#plugins)).",
    schema: PluginEntrySchema,
  },
  {
    id: "docker",
    title: "Docker (`docker`)",
    intro:
      "The `docker:` block of an agent, of `defaults`, or of `agents[].overrides`. Keys marked " +
      "*fleet file only* may appear in an agent file only to repeat or narrow the fleet's value (see " +
      "[Docker](docker.md#the-tiered-configuration-rule)).",
    schema: DockerSchema,
    where: (key) => (AGENT_DOCKER.has(key) ? "agent or fleet" : "fleet file only"),
  },
  { id: "web", title: "Web (`web`)", intro: "The dashboard and its API.", schema: WebSchema },
  {
    id: "webhooks",
    title: "Webhooks (`webhooks`)",
    intro:
      "Inbound webhook triggers: which server answers POST /hooks/<agent>/<schedule>, and a shared secret.",
    schema: WebhooksSchema,
  },
];

/** Schemas documented in their own section are linked to, not expanded inline. */
const LINKED = new Map<unknown, { id: string; label: string }>([
  [DefaultsSchema, { id: "defaults", label: "defaults" }],
  [ScheduleSchema, { id: "schedule", label: "schedule" }],
  [SessionSchema, { id: "session", label: "session" }],
  [InstancesSchema, { id: "instances", label: "instances" }],
  [RetrySchema, { id: "retry", label: "retry" }],
  [WakesSchema, { id: "wakes", label: "wakes" }],
  [HooksSchema, { id: "hooks", label: "hooks" }],
  [ShellHookSchema, { id: "shell-hook", label: "shell hook" }],
  [WebhookHookSchema, { id: "webhook-hook", label: "webhook hook" }],
  [DiscordHookSchema, { id: "discord-hook", label: "discord hook" }],
  [SlackHookSchema, { id: "slack-hook", label: "slack hook" }],
  [McpServerSchema, { id: "mcp-servers", label: "MCP server" }],
  [PluginSchema, { id: "plugin", label: "plugin" }],
  [DockerSchema, { id: "docker", label: "docker" }],
  [WebSchema, { id: "web", label: "web" }],
  [WebhooksSchema, { id: "webhooks", label: "webhooks" }],
]);

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly"]);

function def(schema: Schema): Def {
  return schema._zod.def;
}

/** Peels optional/default wrappers, keeping the first description and default met on the way. */
function unwrap(schema: Schema): { core: Schema; description?: string; defaultValue?: unknown } {
  let current = schema;
  let description: string | undefined;
  let defaultValue: unknown;
  for (;;) {
    description ??= current.description;
    const d = def(current);
    if (!WRAPPERS.has(d.type) || !d.innerType) break;
    if ((d.type === "default" || d.type === "prefault") && defaultValue === undefined) {
      defaultValue = d.defaultValue;
    }
    current = d.innerType;
  }
  description ??= current.description;
  return { core: current, description, defaultValue };
}

function shapeOf(schema: Schema): Record<string, Schema> {
  const d = def(schema);
  if (d.type !== "object" || !d.shape) throw new Error(`expected an object schema, got ${d.type}`);
  return d.shape;
}

const code = (text: string) => `\`${text}\``;
const oneOf = (values: string[]) => (values.length === 1 ? values[0]! : `one of ${values.join(", ")}`);

function numberType(d: Def): string {
  let type = "number";
  let low: string | undefined;
  let high: string | undefined;
  for (const check of d.checks ?? []) {
    const c = check._zod.def;
    if (c.check === "number_format" && (c.format === "safeint" || c.format === "int32")) type = "integer";
    if (c.check === "greater_than") low = c.inclusive ? `≥ ${c.value}` : `> ${c.value}`;
    if (c.check === "less_than") high = c.inclusive ? `≤ ${c.value}` : `< ${c.value}`;
  }
  return [type, low, high].filter(Boolean).join(", ");
}

/** Transforms hide their input type; asking the schema itself keeps this honest. */
function transformType(schema: Schema): string {
  const parsesDuration = schema.safeParse("15m").data === 900_000;
  const parsesMs = schema.safeParse(30_000).success;
  if (parsesDuration && parsesMs) return "milliseconds or duration";
  if (parsesDuration) return "duration";
  return "value";
}

function typeOf(schema: Schema): string {
  const { core } = unwrap(schema);
  const linked = LINKED.get(core);
  if (linked) return `[${linked.label}](#${linked.id})`;
  const d = def(core);
  switch (d.type) {
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "number":
      return numberType(d);
    case "enum":
      return oneOf(Object.values(d.entries ?? {}).map(code));
    case "literal":
      return oneOf((d.values ?? []).map((v) => code(String(v))));
    case "array":
      return `list of ${typeOf(d.element!)}`;
    case "record":
      return `map of name → ${typeOf(d.valueType!)}`;
    case "union":
      return (d.options ?? []).map(typeOf).join(" or ");
    case "object":
      return "mapping";
    case "pipe":
      return transformType(core);
    case "unknown":
    case "any":
      return "any";
    default:
      return d.type;
  }
}

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function defaultOf(schema: Schema): string {
  const { core, defaultValue } = unwrap(schema);
  if (defaultValue === undefined) return "—";
  if (typeof defaultValue === "number" && def(core).type === "pipe") return code(formatMs(defaultValue));
  if (typeof defaultValue === "object" && defaultValue !== null && Object.keys(defaultValue).length === 0) {
    return Array.isArray(defaultValue) ? code("[]") : "see its section";
  }
  return code(typeof defaultValue === "string" ? defaultValue : JSON.stringify(defaultValue));
}

/** A table cell: pipes would end the cell, newlines the row. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

interface Row {
  key: string;
  schema: Schema;
}

/** Keys of an object, with unlinked nested objects (and lists of them) flattened into dotted keys. */
function rows(schema: Schema, prefix = ""): Row[] {
  const out: Row[] = [];
  for (const [key, field] of Object.entries(shapeOf(schema))) {
    const name = prefix + key;
    out.push({ key: name, schema: field });
    const { core } = unwrap(field);
    if (LINKED.has(core)) continue;
    const d = def(core);
    if (d.type === "object") out.push(...rows(core, `${name}.`));
    if (d.type === "array") {
      const element = unwrap(d.element!).core;
      if (def(element).type === "object" && !LINKED.has(element)) out.push(...rows(element, `${name}[].`));
    }
  }
  return out;
}

function table(section: Section, schema: Schema): string[] {
  const head = section.where
    ? ["| Key | Type | Default | Where | Description |", "| --- | --- | --- | --- | --- |"]
    : ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"];
  const body = rows(schema)
    .filter((row) => !section.only || section.only(row.key))
    .map((row) => {
      const described = unwrap(row.schema).description;
      if (!described) throw new Error(`${section.id}: ${row.key} has no .describe() in schema.ts`);
      const cells = [code(row.key), typeOf(row.schema), defaultOf(row.schema)];
      if (section.where) cells.push(section.where(row.key));
      cells.push(described);
      return `| ${cells.map(cell).join(" | ")} |`;
    });
  return [...head, ...body];
}

function renderSection(section: Section): string[] {
  const schema = section.schema as Schema;
  const lines = [`### ${section.title}`, "", `<a id="${section.id}"></a>`, section.intro, ""];
  const d = def(schema);
  if (d.type === "union") {
    for (const option of d.options ?? []) {
      const type = unwrap(shapeOf(option).type!).core;
      const literal = String(def(type).values?.[0]);
      lines.push(`**\`type: ${literal}\`**`, "", ...table(section, option), "");
    }
    return lines;
  }
  return [...lines, ...table(section, schema), ""];
}

/** The generated block, markers included. */
export function renderConfigTables(): string {
  const body = SECTIONS.flatMap(renderSection);
  return [
    START_MARKER,
    "<!-- Generated from packages/core/src/config/schema.ts by `npx vite-node scripts/gen-config-docs.ts`; do not edit by hand. -->",
    "",
    ...body,
    END_MARKER,
  ].join("\n");
}

/** `doc` with its generated block replaced by a fresh one. */
export function updateConfigDoc(doc: string): string {
  const start = doc.indexOf(START_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`docs/configuration.md needs ${START_MARKER} and ${END_MARKER} around the key tables`);
  }
  return doc.slice(0, start) + renderConfigTables() + doc.slice(end + END_MARKER.length);
}
