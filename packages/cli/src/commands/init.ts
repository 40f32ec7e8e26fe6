import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { CliError, UsageError } from "../errors.js";

export interface InitAnswers {
  fleet: string;
  agent: string;
  prompt: string;
}

const DEFAULT_AGENT = "assistant";
const DEFAULT_PROMPT = "Look around the workspace and write a short status note in notes/status.md.";

/** A fleet name from the folder name: the allowed characters only, never empty. */
export function defaultFleetName(dir: string): string {
  const cleaned = basename(dir)
    .replace(/[^a-zA-Z0-9_-]+/g, "-")
    .replace(/^[-_]+/, "");
  return cleaned || "my-fleet";
}

function yamlString(text: string): string {
  // JSON strings are valid YAML double-quoted scalars, escapes and all.
  return JSON.stringify(text);
}

export function fleetYaml(a: InitAnswers): string {
  return `# herdctl fleet. Check it with "herdctl config validate"; run it with "herdctl start".
version: 1
fleet:
  name: ${yamlString(a.fleet)}
  description: Created by herdctl init
defaults:
  model: claude-sonnet-4-5
  permission_mode: acceptEdits
  runtime: cli
  max_turns: 20
agents:
  - path: ./agents/${a.agent}.yaml
`;
}

export function agentYaml(a: InitAnswers): string {
  return `# One agent. Try it without spending tokens: herdctl trigger ${a.agent} --offline --wait
name: ${a.agent}
description: An example agent; edit its prompt and schedule to put it to work
working_directory: ../workspace
default_prompt: ${yamlString(a.prompt)}
schedules:
  daily:
    type: cron
    cron: "0 9 * * 1-5"
    # Off until you turn it on: a schedule that fires spends tokens.
    enabled: false
`;
}

async function ask(defaults: InitAnswers, namePattern: RegExp): Promise<InitAnswers> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const question = async (label: string, fallback: string, valid?: RegExp): Promise<string> => {
      for (;;) {
        const answer = (await rl.question(`${label} (${fallback}): `)).trim() || fallback;
        if (!valid || valid.test(answer)) return answer;
        process.stderr.write("  letters, digits, - and _ only, starting with a letter or digit\n");
      }
    };
    return {
      fleet: await question("Fleet name", defaults.fleet, namePattern),
      agent: await question("First agent's name", defaults.agent, namePattern),
      prompt: await question("What should it do", defaults.prompt),
    };
  } finally {
    rl.close();
  }
}

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("create herdctl.yaml and an example agent in the current folder")
    .option("-y, --yes", "take every default, ask nothing")
    .option("--force", "overwrite files that already exist")
    .option("--name <name>", "fleet name (default: the folder's name)")
    .option("--agent <name>", `the example agent's name (default: ${DEFAULT_AGENT})`)
    .action(
      async (
        options: { yes?: boolean; force?: boolean; name?: string; agent?: string },
        command: Command,
      ) => {
        const ctx = new CommandContext(command.optsWithGlobals());
        const { loadFleet, NAME_PATTERN } = await import("../on-demand/fleet-config.js");
        const dir = ctx.cwd;
        for (const [flag, value] of [
          ["--name", options.name],
          ["--agent", options.agent],
        ] as const) {
          if (value !== undefined && !NAME_PATTERN.test(value))
            throw new UsageError(
              `${flag} "${value}": use letters, digits, - and _, starting with a letter or digit`,
            );
        }
        let answers: InitAnswers = {
          fleet: options.name ?? defaultFleetName(dir),
          agent: options.agent ?? DEFAULT_AGENT,
          prompt: DEFAULT_PROMPT,
        };
        const configPath = join(dir, "herdctl.yaml");
        if (existsSync(configPath) && !options.force)
          throw new CliError(`${configPath} already exists; pass --force to overwrite it`);
        if (!options.yes && process.stdin.isTTY && !ctx.json) answers = await ask(answers, NAME_PATTERN);
        const agentPath = join(dir, "agents", `${answers.agent}.yaml`);
        if (existsSync(agentPath) && !options.force)
          throw new CliError(`${agentPath} already exists; pass --force to overwrite it`);

        await mkdir(join(dir, "agents"), { recursive: true });
        await mkdir(join(dir, "workspace"), { recursive: true });
        await writeFile(configPath, fleetYaml(answers));
        await writeFile(agentPath, agentYaml(answers));
        const readme = join(dir, "workspace", "README.md");
        if (!existsSync(readme))
          await writeFile(
            readme,
            `# Workspace\n\nThe folder ${answers.agent} works in (its working_directory).\n`,
          );
        const gitignore = join(dir, ".gitignore");
        if (!existsSync(gitignore))
          await writeFile(gitignore, "# herdctl's state: jobs, output, sessions\n.herdctl/\n");
        // The scaffold must load; a failure here is a bug in the templates, not the user's doing.
        const fleet = await loadFleet(configPath);
        const files = [configPath, agentPath, join(dir, "workspace")].map((p) => relative(dir, p) || p);
        if (ctx.json) {
          ctx.printJson({
            configPath: fleet.configPath,
            fleet: fleet.fleet.name,
            agents: fleet.agents.map((a) => a.name),
            files,
          });
          return;
        }
        ctx.print(`${ctx.out.green("created")} ${files.join(", ")}`);
        ctx.print("next:");
        const steps: [string, string][] = [
          [`herdctl trigger ${answers.agent} --offline --wait`, "a test run, no tokens spent"],
          [`herdctl trigger ${answers.agent} --wait`, "a real run"],
          ["herdctl start", "run the fleet and its schedules"],
        ];
        const width = Math.max(...steps.map(([c]) => c.length));
        for (const [cmd, why] of steps) ctx.print(`  ${cmd.padEnd(width)}  ${ctx.out.dim(`# ${why}`)}`);
      },
    );
}
