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

async function resolveRef(source: AgentSource, dir: string, signal?: AbortSignal): Promise<string> {
  const ref = source.ref;
  const candidates =
    ref === undefined
      ? ["HEAD"]
      : [`refs/remotes/origin/${ref}`, `refs/tags/${ref}`, ...(/^[0-9a-f]{4,64}$/i.test(ref) ? [ref] : [])];
  for (const candidate of candidates) {
    const found = await git(
      ["rev-parse", "--verify", "--quiet", "--end-of-options", `${candidate}^{commit}`],
      {
        cwd: dir,
        local: source.local,
        signal,
      },
    );
    if (found.code === 0) return found.stdout.trim();
  }
  if (ref === undefined)
    throw new AgentInstallError(
      "AGENT_REF_NOT_FOUND",
      `${source.display} has no commits on its default branch; name a branch, tag or commit with #<ref>`,
    );
  const names = await git(
    ["for-each-ref", "--format=%(refname:lstrip=2)", "refs/remotes/origin", "refs/tags"],
    { cwd: dir, local: source.local, signal },
  );
  const known = names.stdout
    .split("\n")
    .map((n) => n.replace(/^origin\//, ""))
    .filter((n) => n !== "" && n !== "HEAD")
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
