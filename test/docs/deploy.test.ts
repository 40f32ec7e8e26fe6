// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the compose file holds a literal ${VAR}
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * docs/deploy/ (PostgreSQL + N workers as systemd units and as a compose file), checked offline:
 * the compose file parses and wires the services docs/scaling.md describes, and every herdctl
 * command line in the recipes names a command and flags the built CLI has (its own --help says
 * so). packages/cli/test/deploy-recipe.test.ts runs the units' command lines for real and has
 * systemd verify the units; running the compose project needs a registry's postgres image and a
 * bridge network, neither of which the test machines have.
 */
const ROOT = new URL("../../", import.meta.url);
const path = (p: string) => fileURLToPath(new URL(p, ROOT));
const read = (p: string) => readFileSync(path(p), "utf8");
const BIN = path("packages/cli/dist/herdctl.cjs");

/** The long flags `herdctl [command] --help` lists. */
function flagsOf(command: string | undefined): Set<string> {
  const help = execFileSync(process.execPath, [BIN, ...(command ? [command] : []), "--help"], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  // An unknown command gets the program's help: its usage line names no command.
  expect(help.split("\n")[0], `herdctl ${command ?? ""} --help`).toMatch(
    command ? new RegExp(`^Usage: herdctl ${command} `) : /^Usage: herdctl /,
  );
  return new Set([...help.matchAll(/(?:^|\s|,)(--[a-z][a-z-]*)/gm)].map((m) => m[1]!));
}

/** Throws unless `args` (after `herdctl`) are global options, then a command and its options. */
function assertRealCommandLine(args: readonly string[]): string {
  const global = flagsOf(undefined);
  let i = 0;
  // Global options before the command: -s/--state, -c/--config take a value.
  while (args[i]?.startsWith("-")) {
    const flag = args[i]!;
    if (flag === "-s" || flag === "-c") i += 2;
    else {
      expect(global, `global option ${flag}`).toContain(flag);
      i++;
    }
  }
  const command = args[i]!;
  const own = flagsOf(command);
  for (const arg of args.slice(i + 1)) {
    if (!arg.startsWith("--")) continue;
    expect(own, `herdctl ${command} ${arg}`).toContain(arg.split("=")[0]);
  }
  return command;
}

/** ExecStart of a unit file, as words after the herdctl binary. */
function execStart(unit: string): string[] {
  const line = unit.split("\n").find((l) => l.startsWith("ExecStart="));
  expect(line, "ExecStart=").toBeDefined();
  const [bin, ...args] = line!.slice("ExecStart=".length).trim().split(/\s+/);
  expect(bin).toBe("/usr/local/bin/herdctl");
  return args;
}

describe("docs/deploy: systemd units", () => {
  it("herdctl.service runs herdctl start with real flags, its secrets from an EnvironmentFile", () => {
    const unit = read("docs/deploy/herdctl.service");
    for (const section of ["[Unit]", "[Service]", "[Install]"]) expect(unit).toContain(section);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/herdctl\/herdctl\.env$/m);
    expect(unit).toMatch(/^User=herdctl$/m);
    expect(unit).not.toMatch(/postgres:\/\/[^$\s]*:[^$\s]*@/);
    expect(assertRealCommandLine(execStart(unit))).toBe("start");
  });

  it("herdctl-worker@.service runs herdctl worker with an id, labels and a capacity", () => {
    const unit = read("docs/deploy/herdctl-worker@.service");
    for (const section of ["[Unit]", "[Service]", "[Install]"]) expect(unit).toContain(section);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/herdctl\/herdctl\.env$/m);
    const args = execStart(unit);
    expect(assertRealCommandLine(args)).toBe("worker");
    for (const flag of ["--id", "--labels", "--max-concurrent"]) expect(args).toContain(flag);
  });
});

describe("docs/deploy: compose.yaml", () => {
  const compose = parse(read("docs/deploy/compose.yaml")) as {
    services: Record<
      string,
      {
        image: string;
        command?: string[];
        environment?: Record<string, string>;
        deploy?: { replicas?: number };
      }
    >;
  };

  it("parses, with PostgreSQL, one scheduler and several workers on the daemon image", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["postgres", "scheduler", "worker"]);
    expect(compose.services.postgres!.image).toMatch(/^postgres:1[4-9]/);
    const daemonImage = /^herdctl\/daemon:/;
    expect(compose.services.scheduler!.image).toMatch(daemonImage);
    expect(compose.services.worker!.image).toMatch(daemonImage);
    expect(compose.services.worker!.deploy?.replicas).toBeGreaterThan(1);
    // The password comes from the environment, never written into the file.
    for (const name of ["scheduler", "worker"])
      expect(compose.services[name]!.environment?.DATABASE_URL).toContain("${POSTGRES_PASSWORD}");
  });

  it("names real herdctl commands and flags (the image's entrypoint is herdctl)", () => {
    expect(read("docker/daemon.Dockerfile")).toMatch(/^ENTRYPOINT \["herdctl"\]$/m);
    expect(assertRealCommandLine(compose.services.scheduler!.command!)).toBe("start");
    expect(assertRealCommandLine(compose.services.worker!.command!)).toBe("worker");
  });
});
