import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import type { AgentTemplate } from "@herdctl/core/internal";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import type { Asked } from "../init/questions.js";

const DEFAULT_AGENT = "assistant";
const DEFAULT_PROMPT = "Look around the workspace and write a short status note in notes/status.md.";
const NAME_RULE = "use letters, digits, - and _, starting with a letter or digit";

interface AgentFlags {
  yes?: boolean;
  runtime?: string;
  docker?: boolean;
  schedule?: string;
  prompt?: string;
}

interface FleetFlags extends AgentFlags {
  force?: boolean;
  name?: string;
  agent?: string;
}

/** A fleet name from the folder name: the allowed characters only, never empty. */
export function defaultFleetName(dir: string): string {
  const cleaned = basename(dir)
    .replace(/[^a-zA-Z0-9_-]+/g, "-")
    .replace(/^[-_]+/, "");
  return cleaned || "my-fleet";
}

function fleetYaml(fleet: string, agent: string): string {
  return `# herdctl fleet. Check it with "herdctl config validate"; run it with "herdctl start".
version: 1
fleet:
  name: ${JSON.stringify(fleet)}
  description: Created by herdctl init
defaults:
  model: claude-sonnet-4-5
  permission_mode: acceptEdits
  max_turns: 20
agents:
  - path: ./agents/${agent}.yaml
`;
}

function agentOptions(command: Command): Command {
  return command
    .option("-y, --yes", "take every default, ask nothing")
    .option("--runtime <sdk|cli>", "how herdctl runs claude (default sdk)")
    .option("--docker", "run the agent in a hardened Docker container")
    .option("--schedule <when>", 'a schedule, written disabled: "every 1h", "30m" or cron "0 9 * * 1-5"')
    .option("--prompt <text>", "what the agent does when triggered without a prompt");
}

/**
 * The answers for one agent: flags first, then questions on a terminal for what the flags left
 * open, then defaults. Bad flags are usage errors naming the flag.
 */
async function agentAnswers(
  ctx: CommandContext,
  flags: AgentFlags,
  names: { fleet?: { flag?: string; fallback: string }; agent: { flag?: string; fallback: string } },
): Promise<{ fleet?: string; template: AgentTemplate }> {
  const { NAME_PATTERN } = await import("../on-demand/fleet-config.js");
  const { parseScheduleFlag } = await import("../on-demand/agent-scaffold.js");
  if (flags.runtime !== undefined && flags.runtime !== "sdk" && flags.runtime !== "cli")
    throw new UsageError(`--runtime "${flags.runtime}": use sdk or cli`);
  for (const [flag, value] of [
    ["--name", names.fleet?.flag],
    [names.fleet ? "--agent" : "the agent name", names.agent.flag],
  ] as const) {
    if (value !== undefined && !NAME_PATTERN.test(value))
      throw new UsageError(`${flag} "${value}": ${NAME_RULE}`);
  }
  const schedule = (text: string | undefined) => {
    if (text === undefined || text.trim() === "") return undefined;
    const parsed = parseScheduleFlag(text);
    if (parsed && "error" in parsed) throw new UsageError(`--schedule: ${parsed.error}`);
    return parsed;
  };
  const given: Asked = {
    fleet: names.fleet?.flag,
    agent: names.agent.flag,
    prompt: flags.prompt,
    runtime: flags.runtime as AgentTemplate["runtime"] | undefined,
    docker: flags.docker,
    schedule: flags.schedule,
  };
  schedule(given.schedule);
  let asked: Asked = {};
  if (!flags.yes && !ctx.json && process.stdin.isTTY) {
    const { askQuestions } = await import("../init/questions.js");
    const wanted = (["fleet", "agent", "prompt", "runtime", "docker", "schedule"] as const).filter(
      (key) => given[key] === undefined && (key !== "fleet" || names.fleet),
    );
    asked = await askQuestions(
      [...wanted],
      {
        fleet: names.fleet?.fallback ?? "",
        agent: names.agent.fallback,
        prompt: DEFAULT_PROMPT,
        runtime: "sdk",
        docker: false,
      },
      {
        name: (value) => NAME_PATTERN.test(value) || NAME_RULE,
        schedule: parseScheduleFlag,
      },
    );
  }
  const pick = <K extends keyof Asked>(key: K): Asked[K] => given[key] ?? asked[key];
  return {
    fleet: names.fleet ? (pick("fleet") ?? names.fleet.fallback) : undefined,
    template: {
      name: pick("agent") ?? names.agent.fallback,
      prompt: pick("prompt") ?? DEFAULT_PROMPT,
      runtime: pick("runtime") ?? "sdk",
      docker: pick("docker") ?? false,
      schedule: schedule(pick("schedule")),
    },
  };
}

async function initFleet(ctx: CommandContext, options: FleetFlags): Promise<void> {
  const dir = ctx.cwd;
  const configPath = join(dir, "herdctl.yaml");
  // Checked before any question: answering them all for nothing would be worse than this error.
  if (existsSync(configPath) && !options.force)
    throw new CliError(`${configPath} already exists; pass --force to overwrite it`);
  const { fleet, template } = await agentAnswers(ctx, options, {
    fleet: { flag: options.name, fallback: defaultFleetName(dir) },
    agent: { flag: options.agent, fallback: DEFAULT_AGENT },
  });
  const agentPath = join(dir, "agents", `${template.name}.yaml`);
  if (existsSync(agentPath) && !options.force)
    throw new CliError(`${agentPath} already exists; pass --force to overwrite it`);

  const { agentYaml } = await import("../on-demand/agent-scaffold.js");
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(configPath, fleetYaml(fleet!, template.name));
  await writeFile(agentPath, agentYaml(template, "../workspace"));
  const readme = join(dir, "workspace", "README.md");
  if (!existsSync(readme))
    await writeFile(readme, `# Workspace\n\nThe folder ${template.name} works in (its working_directory).\n`);
  const gitignore = join(dir, ".gitignore");
  if (!existsSync(gitignore))
    await writeFile(gitignore, "# herdctl's state: jobs, output, sessions\n.herdctl/\n");
  // The scaffold must load; a failure here is a bug in the templates, not the user's doing.
  const { loadFleet } = await import("../on-demand/fleet-config.js");
  const loaded = await loadFleet(configPath);
  const files = [configPath, agentPath, join(dir, "workspace")].map((p) => relative(dir, p) || p);
  if (ctx.json) {
    ctx.printJson({
      configPath: loaded.configPath,
      fleet: loaded.fleet.name,
      agents: loaded.agents.map((a) => a.name),
      files,
    });
    return;
  }
  ctx.print(`${ctx.out.green("created")} ${files.join(", ")}`);
  nextSteps(ctx, template);
}

async function initAgent(ctx: CommandContext, name: string, options: AgentFlags): Promise<void> {
  const configPath = ctx.configPath();
  const { template } = await agentAnswers(ctx, options, { agent: { flag: name, fallback: name } });
  const { scaffoldAgent } = await import("../on-demand/agent-scaffold.js");
  const made = await scaffoldAgent(configPath, template);
  const root = made.fleet.rootDir;
  const shown = relative(root, made.agentFile) || made.agentFile;
  if (ctx.json) {
    ctx.printJson({
      configPath: made.fleet.configPath,
      agent: template.name,
      file: made.agentFile,
      agents: made.fleet.agents.map((a) => a.name),
    });
    return;
  }
  ctx.print(`${ctx.out.green("created")} ${shown}, and added it to ${relative(root, made.fleet.configPath)}`);
  nextSteps(ctx, template);
}

function nextSteps(ctx: CommandContext, template: AgentTemplate): void {
  ctx.print("next:");
  const steps: [string, string][] = [
    [`herdctl trigger ${template.name} --offline --wait`, "a test run, no tokens spent"],
    [`herdctl trigger ${template.name} --wait`, "a real run"],
    ...(template.schedule
      ? ([
          [
            `herdctl schedules enable ${template.name} ${template.schedule.type === "interval" ? "every" : "cron"}`,
            "turn its schedule on",
          ],
        ] as [string, string][])
      : []),
    ["herdctl start", "run the fleet and its schedules"],
  ];
  const width = Math.max(...steps.map(([c]) => c.length));
  for (const [cmd, why] of steps) ctx.print(`  ${cmd.padEnd(width)}  ${ctx.out.dim(`# ${why}`)}`);
}

export function registerInit(program: Command): void {
  const init = program
    .command("init")
    .description("create a fleet (init fleet, the default) or add an agent to one (init agent <name>)");
  agentOptions(
    init
      .command("fleet", { isDefault: true })
      .description("create herdctl.yaml and a first agent in the current folder")
      .option("--force", "overwrite files that already exist")
      .option("--name <name>", "fleet name (default: the folder's name)")
      .option("--agent <name>", `the first agent's name (default: ${DEFAULT_AGENT})`),
  ).action(async (options: FleetFlags, command: Command) =>
    initFleet(new CommandContext(command.optsWithGlobals()), options),
  );
  agentOptions(
    init
      .command("agent")
      .description("add an agent to the fleet: agents/<name>.yaml and its entry in the fleet file")
      .argument("<name>", "the agent's name"),
  ).action(async (name: string, options: AgentFlags, command: Command) =>
    initAgent(new CommandContext(command.optsWithGlobals()), name, options),
  );
}
