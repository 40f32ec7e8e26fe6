import { AgentInstallError } from "./errors.js";
import { git } from "./git.js";
import type { AgentSource } from "./source.js";

export interface Fetched {
  /** The commit checked out. */
  commit: string;
}

/**
 * Clones `source` into the empty folder `dest` without checking anything out, resolves the ref
 * there (branch, then tag, then commit), and checks that commit out detached. No submodules.
 */
export async function fetchRepository(
  source: AgentSource,
  dest: string,
  signal?: AbortSignal,
): Promise<Fetched> {
  const local = source.local;
  const clone = await git(["clone", "--quiet", "--no-checkout", "--", source.url, dest], {
    cwd: dest,
    local,
    signal,
  });
  if (clone.code !== 0)
    throw new AgentInstallError(
      "AGENT_FETCH_FAILED",
      `git could not clone ${source.display}: ${gitReason(clone.stderr, source)}. ` +
        "Check the address, that the repository exists, and that you can reach it",
    );
  const commit = await resolveRef(source, dest, signal);
  const checkout = await git(["checkout", "--quiet", "--detach", commit], { cwd: dest, local, signal });
  if (checkout.code !== 0)
    throw new AgentInstallError(
      "AGENT_FETCH_FAILED",
      `git could not check out ${commit} of ${source.display}: ${gitReason(checkout.stderr, source)}`,
    );
  return { commit };
}

/** The commit `source.ref` names: a branch, then a tag, then a commit id; the default branch without one. */
async function resolveRef(source: AgentSource, dir: string, signal?: AbortSignal): Promise<string> {
  const run = (args: string[]) => git(args, { cwd: dir, local: source.local, signal });
  const commitOf = async (name: string) => {
    const found = await run(["rev-parse", "--verify", "--quiet", "--end-of-options", `${name}^{commit}`]);
    return found.code === 0 ? found.stdout.trim() : undefined;
  };
  const ref = source.ref;
  if (ref === undefined) {
    const head = await commitOf("HEAD");
    if (head) return head;
    throw new AgentInstallError(
      "AGENT_REF_NOT_FOUND",
      `${source.repository} has no commits on its default branch; name a branch, tag or commit with #<ref>`,
    );
  }
  // Every branch and tag in one call; an annotated tag is peeled to what it tags.
  const listed = await run([
    "for-each-ref",
    "--format=%(refname)%09%(objecttype)%09%(objectname)%09%(*objecttype)%09%(*objectname)",
    "refs/remotes/origin",
    "refs/tags",
  ]);
  const refs = new Map(
    listed.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [name = "", type, object, peeledType, peeled] = line.split("\t");
        const commit = type === "commit" ? object : peeledType === "commit" ? peeled : undefined;
        return [name, commit] as const;
      }),
  );
  for (const name of [`refs/remotes/origin/${ref}`, `refs/tags/${ref}`]) {
    if (!refs.has(name)) continue;
    // A tag of a tag (or of a tree) is rare: git itself follows it, or says it leads to no commit.
    const commit = refs.get(name) ?? (await commitOf(name));
    if (commit) return commit;
  }
  const commit = /^[0-9a-f]{4,64}$/i.test(ref) ? await commitOf(ref) : undefined;
  if (commit) return commit;
  const known = [...refs.keys()]
    .map((name) => name.replace(/^refs\/(remotes\/origin|tags)\//, ""))
    .filter((name) => name !== "HEAD")
    .slice(0, 20);
  throw new AgentInstallError(
    "AGENT_REF_NOT_FOUND",
    `"#${ref}" is not a branch, tag or commit of ${source.repository}` +
      (known.length > 0 ? `; it has: ${known.join(", ")}` : ""),
  );
}

/** git's own last complaint, without any credentials from the URL. */
function gitReason(stderr: string, source: AgentSource): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  // git's first error says what was wrong (a malformed object); its last fatal line, what it stopped.
  const reason =
    lines.find((l) => l.startsWith("error:")) ??
    lines.findLast((l) => l.startsWith("fatal:")) ??
    lines.at(-1);
  return (reason ?? "git failed").split(source.url).join(source.display);
}
