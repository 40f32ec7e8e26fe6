import { spawn } from "node:child_process";
import { claudePath } from "./claude-env.js";

/** `claude -p` run by hand in `cwd`, as a user would before adopting; resolves with its session id. */
export function claudeByHand(cwd: string, env: Record<string, string>, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(claudePath, ["-p", prompt, "--output-format", "json"], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`claude exited ${code}: ${err}`));
      else resolve((JSON.parse(out) as { session_id: string }).session_id);
    });
  });
}
