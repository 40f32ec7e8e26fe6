/**
 * A postgres:// URL as it may be shown: user, host, port and database, never the password (in
 * the URL or in its query string). Anything that is not a URL is shown as a placeholder, since it
 * could be a password pasted in the wrong place.
 */
export function showPgUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "<state.url: not a URL>";
  }
  if (u.password !== "") u.password = "***";
  for (const key of [...u.searchParams.keys()]) {
    if (/pass|secret|key|token/i.test(key)) u.searchParams.set(key, "***");
  }
  return u.toString();
}

/** The URL's own problems, found before any connection is tried; undefined when it is usable. */
export function pgUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "is not a URL; write it as postgres://user:password@host:5432/database";
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:")
    return `starts with ${u.protocol} but must start with postgres:// (or postgresql://)`;
  if (u.hostname === "" && !u.searchParams.has("host"))
    return "names no host; write postgres://user:password@host:5432/database";
  if (u.pathname === "" || u.pathname === "/") return "names no database; add /database after the host";
  return undefined;
}
