import type { AgentTemplate } from "@herdctl/core/internal";

/** What `init` may ask; a value given as a flag is not asked again. */
export interface Asked {
  fleet?: string;
  agent?: string;
  prompt?: string;
  runtime?: AgentTemplate["runtime"];
  docker?: boolean;
  schedule?: string;
}

type Schedule = AgentTemplate["schedule"] | { error: string };

/**
 * The interactive questions, on standard error so standard output keeps only the result. Each
 * answer is checked as it is typed (names, schedules), so what comes back is valid.
 */
export async function askQuestions(
  wanted: (keyof Asked)[],
  defaults: Required<Omit<Asked, "schedule">>,
  check: { name: (value: string) => string | true; schedule: (value: string) => Schedule },
): Promise<Asked> {
  const [{ default: input }, { default: select }, { default: confirm }] = await Promise.all([
    import("@inquirer/input"),
    import("@inquirer/select"),
    import("@inquirer/confirm"),
  ]);
  const context = { output: process.stderr };
  const answers: Asked = {};
  for (const key of wanted) {
    switch (key) {
      case "fleet":
        answers.fleet = await input(
          { message: "Fleet name", default: defaults.fleet, validate: check.name },
          context,
        );
        break;
      case "agent":
        answers.agent = await input(
          { message: "Agent name", default: defaults.agent, validate: check.name },
          context,
        );
        break;
      case "prompt":
        answers.prompt = await input({ message: "What should it do", default: defaults.prompt }, context);
        break;
      case "runtime":
        answers.runtime = await select(
          {
            message: "How should herdctl run claude",
            default: defaults.runtime,
            choices: [
              { name: "sdk: the Claude Agent SDK, in-process", value: "sdk" as const },
              { name: "cli: the claude command line", value: "cli" as const },
            ],
          },
          context,
        );
        break;
      case "docker":
        answers.docker = await confirm(
          { message: "Run it in a Docker container", default: defaults.docker },
          context,
        );
        break;
      case "schedule":
        answers.schedule = await input(
          {
            message: 'Schedule ("every 1h", "0 9 * * 1-5"; empty for none)',
            default: "",
            validate: (value) => {
              if (value.trim() === "") return true;
              const parsed = check.schedule(value);
              return parsed && "error" in parsed ? parsed.error : true;
            },
          },
          context,
        );
        break;
    }
  }
  return answers;
}
