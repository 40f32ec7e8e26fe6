import { lstat, readdir, readlink } from "node:fs/promises";
import { isAbsolute, join, normalize, sep } from "node:path";
import { AgentInstallError } from "./errors.js";

/** What an installed agent may weigh: prompts and configuration, not data sets. */
export const LIMITS = { maxBytes: 50 * 1024 * 1024, maxFiles: 5000 };

export interface AgentTree {
  /** Folders, then files, relative to the agent folder with `/` separators, `.git` left out. */
  dirs: string[];
  files: Array<{ path: string; size: number; executable: boolean }>;
  bytes: number;
}

/**
 * The checked-out agent folder `--path` names inside the clone: a relative path of plain folders
 * (a symlinked component could lead anywhere).
 */
export async function agentFolder(cloneDir: string, subdir: string | undefined): Promise<string> {
  if (subdir === undefined || subdir === "" || subdir === ".") return cloneDir;
  const clean = normalize(subdir).replace(/[\\/]+$/, "");
  if (isAbsolute(subdir) || clean === ".." || clean.startsWith(`..${sep}`))
    throw new AgentInstallError(
      "AGENT_BAD_REQUEST",
      `--path ${subdir}: give a folder inside the repository, relative to its root, e.g. --path agents/triager`,
    );
  let at = cloneDir;
  for (const part of clean.split(sep)) {
    at = join(at, part);
    const info = await lstat(at).catch(() => undefined);
    if (!info?.isDirectory() || part === ".git")
      throw new AgentInstallError(
        info?.isSymbolicLink() ? "AGENT_UNSAFE" : "AGENT_INVALID",
        info?.isSymbolicLink()
          ? `--path ${subdir}: ${part} is a symbolic link in the repository; herdctl follows no links`
          : `--path ${subdir}: the repository has no folder ${clean.split(sep).join("/")}`,
      );
  }
  return at;
}

/**
 * Lists the agent folder, refusing anything but plain files and folders: a symbolic link, even
 * one pointing inside, could be replaced or chained to reach outside once installed, so an agent
 * that needs a file ships the file. Stops past LIMITS, before reading file contents.
 */
export async function inspectTree(root: string, limits = LIMITS): Promise<AgentTree> {
  const tree: AgentTree = { dirs: [], files: [], bytes: 0 };
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (entry.name === ".git") continue;
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const abs = join(root, path);
      const info = await lstat(abs);
      if (info.isSymbolicLink()) {
        const target = await readlink(abs);
        throw new AgentInstallError(
          "AGENT_UNSAFE",
          `${path} is a symbolic link (to ${JSON.stringify(target)}); herdctl installs plain files only, ` +
            "so nothing in an agent can point outside its folder. Replace the link with the file it stands for",
        );
      }
      if (info.isDirectory()) {
        tree.dirs.push(path);
        await walk(path);
      } else if (info.isFile()) {
        tree.bytes += info.size;
        tree.files.push({ path, size: info.size, executable: (info.mode & 0o111) !== 0 });
        if (tree.bytes > limits.maxBytes || tree.files.length > limits.maxFiles)
          throw new AgentInstallError(
            "AGENT_UNSAFE",
            `the agent folder holds more than ${tree.files.length > limits.maxFiles ? `${limits.maxFiles} files` : `${limits.maxBytes / 1024 / 1024} MB`} ` +
              `(at ${path}); an agent is configuration and prompts: keep data out of its repository`,
          );
      } else {
        throw new AgentInstallError(
          "AGENT_UNSAFE",
          `${path} is not a plain file or folder; herdctl will not install it`,
        );
      }
    }
  };
  await walk("");
  return tree;
}
