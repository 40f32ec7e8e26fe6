import { Command } from "commander";
import { registerAgent } from "./commands/agent.js";
import { registerApprovals } from "./commands/approvals.js";
import { registerAudit } from "./commands/audit.js";
import { registerCancel } from "./commands/cancel.js";
import { registerChat } from "./commands/chat.js";
import { registerConfig } from "./commands/config.js";
import { registerDashboard } from "./commands/dashboard.js";
import { registerDocker } from "./commands/docker.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerInit } from "./commands/init.js";
import { registerJob } from "./commands/job.js";
import { registerJobs } from "./commands/jobs.js";
import { registerLogs } from "./commands/logs.js";
import { registerMemory } from "./commands/memory.js";
import { registerPrune } from "./commands/prune.js";
import { registerSchedules } from "./commands/schedules.js";
import { registerSessions } from "./commands/sessions.js";
import { registerStandin } from "./commands/standin.js";
import { registerStart } from "./commands/start.js";
import { registerStatus } from "./commands/status.js";
import { registerStop } from "./commands/stop.js";
import { registerTrigger } from "./commands/trigger.js";
import { registerUsage } from "./commands/usage.js";
import { registerWakes } from "./commands/wakes.js";
import { registerWebhook } from "./commands/webhook.js";
import { VERSION, versionText } from "./version.js";

export function buildProgram(): Command {
  const program = new Command("herdctl")
    .description("Run a fleet of autonomous Claude Code agents")
    // The full text reads two package.json files; only a --version run pays for that.
    .version(
      process.argv.includes("--version") || process.argv.includes("-V") ? versionText() : VERSION,
      "-V, --version",
      "herdctl's version, and claude's and the Agent SDK's",
    )
    .option("-c, --config <path>", "fleet file or its folder (default: nearest herdctl.yaml upward)")
    .option("-s, --state <dir>", "state directory (default: .herdctl beside the fleet file)")
    .option("--json", "machine-readable output")
    .option("--no-color", "no colour, even on a terminal")
    .option("-v, --verbose", "more detail, and stack traces on errors")
    .showSuggestionAfterError(true)
    .exitOverride();
  registerStart(program);
  registerStop(program);
  registerStatus(program);
  registerTrigger(program);
  registerConfig(program);
  registerDocker(program);
  registerStandin(program);
  registerInit(program);
  registerJobs(program);
  registerJob(program);
  registerLogs(program);
  registerCancel(program);
  registerSchedules(program);
  registerSessions(program);
  registerDoctor(program);
  registerWebhook(program);
  registerDashboard(program);
  registerAgent(program);
  registerMemory(program);
  registerApprovals(program);
  registerWakes(program);
  registerAudit(program);
  registerUsage(program);
  registerPrune(program);
  registerChat(program);
  return program;
}
