import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { LoadedFleet } from "@herdctl/core";
import type { Command } from "commander";
import { CommandContext } from "../context.js";
import { CliError, UsageError } from "../errors.js";
import { requireSchedule } from "../lookup.js";

interface SendOptions {
  data?: string;
  url?: string;
  printCurl?: boolean;
}

/** The body to send: `--data '{...}'`, `--data @file.json`, or `{}`. It must be JSON, as the server requires. */
function readData(ctx: CommandContext, data: string | undefined): string {
  if (data === undefined) return "{}";
  let text = data;
  if (data.startsWith("@")) {
    const path = resolve(ctx.cwd, data.slice(1));
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new UsageError(
        `--data ${data}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--data${data.startsWith("@") ? ` ${data}` : ""}: not valid JSON (${(error as Error).message}); the server accepts JSON bodies only`,
    );
  }
  return text;
}

/** Where this fleet serves webhooks: the dashboard's address, or webhooks.host/port when only they are on. */
function defaultBase(fleet: LoadedFleet): string {
  const { web, webhooks } = fleet.fleet;
  const alone = webhooks.enabled && !web.enabled;
  let host = alone ? (webhooks.host ?? web.host) : web.host;
  const port = alone ? (webhooks.port ?? web.port) : web.port;
  if (host === "0.0.0.0") host = "127.0.0.1";
  if (host === "::") host = "::1";
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Quotes one word for a POSIX shell: the curl line is for people to copy, never run by us. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export function registerWebhook(program: Command): void {
  const webhook = program.command("webhook").description("send test calls to webhook schedules");
  webhook
    .command("send")
    .description("send a signed call to a webhook schedule, as its sender would (herdctl or github scheme)")
    .argument("<agent>", "the agent")
    .argument("<schedule>", "its webhook schedule")
    .option("--data <json|@file>", "the JSON body, or @path of a file holding it (default {})")
    .option("--url <base>", "the server's address (default: from web / webhooks in the fleet file)")
    .option(
      "--print-curl",
      "print the equivalent signed curl command instead of sending (valid for 5 minutes)",
    )
    .action(async (agentName: string, scheduleName: string, options: SendOptions, command: Command) => {
      const ctx = new CommandContext(command.optsWithGlobals());
      const fleet = await ctx.fleet();
      const agent = await ctx.agent(agentName);
      const schedule = requireSchedule(agent, scheduleName);
      if (schedule.type !== "webhook") {
        throw new UsageError(
          `schedule ${agent.name}/${scheduleName} is a ${schedule.type} schedule, not a webhook; pick one with type: webhook`,
        );
      }
      const secretEnv = schedule.secret_env ?? fleet.fleet.webhooks.secret_env;
      if (!secretEnv) {
        throw new CliError(
          `schedule ${agent.name}/${scheduleName} has no secret: set secret_env on it (or webhooks.secret_env) and that variable`,
        );
      }
      const { envValue } = await import("../on-demand/fleet-config.js");
      const secret = envValue(fleet, secretEnv);
      if (!secret) {
        throw new CliError(
          `${secretEnv} (the secret of ${agent.name}/${scheduleName}) is not set in the environment or in .env beside the fleet file; set it as the daemon has it`,
        );
      }
      const body = readData(ctx, options.data);
      // Signing loads node:crypto, so only this command loads it, not every command with it.
      const { GITHUB_DELIVERY_HEADER, GITHUB_SIGNATURE_HEADER, signBody, timestampedHeaders } = await import(
        "@herdctl/core/internal/hooks/signature"
      );
      const { randomUUID } = await import("node:crypto");
      let base: URL;
      try {
        base = new URL(options.url ?? defaultBase(fleet));
      } catch {
        throw new UsageError(`--url: "${options.url}" is not a URL; use e.g. http://127.0.0.1:3232`);
      }
      const url = new URL(
        `hooks/${encodeURIComponent(agent.name)}/${encodeURIComponent(scheduleName)}`,
        base.href.endsWith("/") ? base : `${base.href}/`,
      );
      const headers: Record<string, string> =
        schedule.signature === "github"
          ? {
              [GITHUB_SIGNATURE_HEADER]: signBody(body, secret),
              [GITHUB_DELIVERY_HEADER]: randomUUID(),
              "x-github-event": "herdctl-test",
            }
          : timestampedHeaders(body, secret);

      if (options.printCurl) {
        const words = ["curl", "-sS", "-X", "POST", url.href, "-H", "content-type: application/json"];
        for (const [name, value] of Object.entries(headers)) words.push("-H", `${name}: ${value}`);
        words.push("--data-binary", options.data?.startsWith("@") ? options.data : body);
        ctx.print(words.map(shellWord).join(" "));
        return;
      }

      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body,
          redirect: "manual",
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new CliError(
          `nothing answers at ${url.origin} (${cause}): start the fleet with --web (or webhooks.enabled: true), or pass --url`,
        );
      }
      const text = await response.text();
      let answer: { jobId?: string; error?: { code: string; message: string } } = {};
      try {
        answer = JSON.parse(text) as typeof answer;
      } catch {}
      if (ctx.json) ctx.printJson({ url: url.href, status: response.status, ...answer });
      if (response.status === 202 && answer.jobId) {
        if (!ctx.json)
          ctx.print(`${ctx.out.green("accepted")}: job ${answer.jobId} (see herdctl job ${answer.jobId})`);
        return;
      }
      const reason = answer.error ? `${answer.error.code}: ${answer.error.message}` : text.slice(0, 200);
      if (ctx.json) {
        process.exitCode = 1;
        return;
      }
      throw new CliError(`the server refused the call with ${response.status} ${reason}`);
    });
}
