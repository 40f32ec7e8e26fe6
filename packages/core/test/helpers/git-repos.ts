import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * Real git repositories on the local disk (no network): a bare repository per agent, filled by
 * committing in a work clone and pushing, as a publisher would.
 */
export interface AgentRepo {
  /** The bare repository: what `agent add` is given. */
  bare: string;
  work: string;
  /** Writes files (a string is the content; `{ link }` a symbolic link), commits and pushes; returns the commit. */
  commit(files: Record<string, string | { link: string }>, message?: string): string;
  tag(name: string): void;
  branch(name: string): void;
}

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "publisher",
  GIT_AUTHOR_EMAIL: "publisher@example.invalid",
  GIT_COMMITTER_NAME: "publisher",
  GIT_COMMITTER_EMAIL: "publisher@example.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: GIT_ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

export function makeRepo(parent: string, name: string): AgentRepo {
  const bare = join(parent, `${name}.git`);
  const work = join(parent, `${name}-work`);
  mkdirSync(bare);
  git(bare, "init", "--quiet", "--bare", "--initial-branch=main");
  mkdirSync(work);
  git(work, "init", "--quiet", "--initial-branch=main");
  git(work, "remote", "add", "origin", bare);
  return {
    bare,
    work,
    commit(files, message = "publish") {
      for (const [path, content] of Object.entries(files)) {
        const target = join(work, path);
        mkdirSync(dirname(target), { recursive: true });
        rmSync(target, { force: true });
        if (typeof content === "string") writeFileSync(target, content);
        else symlinkSync(content.link, target);
      }
      git(work, "add", "--all");
      git(work, "commit", "--quiet", "-m", message);
      git(work, "push", "--quiet", "origin", "HEAD");
      return git(work, "rev-parse", "HEAD");
    },
    tag(tag) {
      git(work, "tag", tag);
      git(work, "push", "--quiet", "origin", tag);
    },
    branch(branch) {
      git(work, "push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
    },
  };
}

/** A fleet folder with a fleet file whose comments and layout an edit must keep. */
export const FLEET_TEXT = `version: 1
fleet: { name: sharing }   # the team's fleet

agents:
  # written by hand
  - path: ./local.yaml

web: { enabled: false }
`;

export function makeFleet(parent: string, text = FLEET_TEXT): string {
  const dir = join(parent, "fleet");
  mkdirSync(dir);
  writeFileSync(join(dir, "herdctl.yaml"), text);
  writeFileSync(join(dir, "local.yaml"), "name: local\n");
  return dir;
}

export function tempParent(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
