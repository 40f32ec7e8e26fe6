import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { AgentInstallError } from "./errors.js";

/** Where an agent comes from, as git will fetch it and as the user is shown it. */
export interface AgentSource {
  /** What git clones. May carry credentials the user typed; never shown or recorded. */
  url: string;
  /** The source as typed, minus any credentials in it: what is shown and recorded. */
  display: string;
  /** `display` without the `#ref`. */
  repository: string;
  /** Branch, tag or commit after `#`; the repository's default branch when absent. */
  ref?: string;
  /** A path or file:// URL: git's file transport must be allowed for it, and only for it. */
  local: boolean;
}

const GITHUB = /^github:([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+?)(?:\.git)?$/;
/** user@host:path, git's scp-like syntax for ssh. */
const SCP_LIKE = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+$/;
/**
 * Transports a shared agent may come from. git's others (`ext::`, `fd::`, remote helpers) can run
 * commands named in the URL, so they are refused here and by GIT_ALLOW_PROTOCOL in fetch.
 */
const REMOTE_SCHEMES = new Set(["https:", "http:", "ssh:", "git:"]);
/** Git ref names and commit ids; no leading `-` (git would read an option). */
const REF = /^[A-Za-z0-9_][A-Za-z0-9._/-]*$/;

/** `github:owner/repo[#ref]`, a git URL or a local path / file:// URL (relative to `cwd`). */
export function parseAgentSource(input: string, cwd: string): AgentSource {
  const hash = input.lastIndexOf("#");
  const base = hash < 0 ? input : input.slice(0, hash);
  const ref = hash < 0 ? undefined : input.slice(hash + 1);
  if (ref !== undefined && (!REF.test(ref) || ref.includes("..") || ref.endsWith(".lock")))
    throw bad(`"#${ref}" is not a branch, tag or commit name; write <source>#main, #v1.2 or #<commit>`);
  if (base === "") throw bad("the source is empty; give github:owner/repo, a git URL or a local path");
  const made = (url: string, repository: string, local: boolean): AgentSource => ({
    url,
    repository,
    display: ref === undefined ? repository : `${repository}#${ref}`,
    ref,
    local,
  });

  if (base.startsWith("github:")) {
    const m = GITHUB.exec(base);
    if (!m) throw bad(`"${base}" is not github:owner/repo`);
    return made(`https://github.com/${m[1]}/${m[2]}.git`, `github:${m[1]}/${m[2]}`, false);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(base)) {
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw bad(`"${redactUrl(base)}" is not a valid URL`);
    }
    if (url.protocol === "file:") return made(base, base, true);
    if (!REMOTE_SCHEMES.has(url.protocol))
      throw bad(
        `${url.protocol}// sources are not supported; use https://, ssh://, git://, file:// or a path`,
      );
    return made(base, redactUrl(base), false);
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*::/.test(base))
    throw bad(
      `"${base.split("::")[0]}::" transports are not supported; use https://, ssh://, file:// or a path`,
    );
  if (SCP_LIKE.test(base) && !existsSync(resolve(cwd, base))) return made(base, base, false);

  const path = resolve(cwd, base);
  if (!statSync(path, { throwIfNoEntry: false })?.isDirectory())
    throw bad(`${path} is not a folder; give github:owner/repo, a git URL, or the path of a git repository`);
  // Through the file transport rather than git's local-clone shortcut, which hard-links or copies
  // the source's object files as they are instead of receiving (and checking) the objects.
  return made(pathToFileURL(path).href, path, true);
}

/** A URL with any user name and password removed, for display and records. */
export function redactUrl(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@]*@/, "$1");
}

function bad(message: string): AgentInstallError {
  return new AgentInstallError("AGENT_BAD_REQUEST", `source: ${message}`);
}
