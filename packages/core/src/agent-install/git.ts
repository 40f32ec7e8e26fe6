import { spawn } from "node:child_process";

export interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Settings on every git call: nothing from the repository may run, and nothing may prompt. */
function safetyConfig(local: boolean): string[] {
  const settings = [
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "submodule.recurse=false",
    // Refuses malformed objects, including tree entries named `..`, `.git` or with a `/` in them.
    "transfer.fsckObjects=true",
    "fetch.fsckObjects=true",
    "advice.detachedHead=false",
  ];
  if (local) settings.push("protocol.file.allow=always");
  return settings.flatMap((s) => ["-c", s]);
}

/**
 * Runs git with an argument array (never a shell). GIT_ALLOW_PROTOCOL limits transports to the
 * source's kind, so a remote repository cannot point git at local files, or at `ext::` commands.
 */
export function git(
  args: string[],
  options: { cwd: string; local: boolean; timeoutMs?: number; signal?: AbortSignal },
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", [...safetyConfig(options.local), ...args], {
      cwd: options.cwd,
      env: {
        ...gitEnvironment(),
        GIT_TERMINAL_PROMPT: "0",
        GIT_ALLOW_PROTOCOL: options.local ? "file" : "https:http:ssh:git",
        GIT_LFS_SKIP_SMUDGE: "1",
        GIT_CONFIG_NOSYSTEM: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
      signal: options.signal,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
    timer.unref();
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Variables that would point git at another repository (as inside a git hook) are dropped. */
const REPOSITORY_VARIABLES = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
];

function gitEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of REPOSITORY_VARIABLES) delete env[name];
  // ssh asks for passphrases and host keys on the terminal, which GIT_TERMINAL_PROMPT does not cover.
  if (env.GIT_SSH_COMMAND === undefined && env.GIT_SSH === undefined)
    env.GIT_SSH_COMMAND = "ssh -o BatchMode=yes";
  return env;
}
