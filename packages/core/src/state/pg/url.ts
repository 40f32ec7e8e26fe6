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

const FORM = "write it as postgres://user:password@host:5432/database";

/**
 * The URL's own problems, found before any connection is tried; undefined when it is usable. The
 * message never repeats the URL (it holds a password).
 */
export function pgUrlProblem(url: string): { message: string; hint: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { message: "is not a URL", hint: FORM };
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:")
    return { message: `is a ${u.protocol.replace(/:$/, "")} URL, not a postgres:// one`, hint: FORM };
  if (u.hostname === "" && !u.searchParams.has("host")) return { message: "names no host", hint: FORM };
  if (u.pathname === "" || u.pathname === "/") return { message: "names no database", hint: FORM };
  return undefined;
}

/** What of a state URL must never be shown: the URL itself and its password (as written and decoded). */
export function pgUrlSecrets(url: string | undefined): string[] {
  if (url === undefined || url === "") return [];
  const secrets = [url];
  try {
    const { password } = new URL(url);
    if (password !== "") secrets.push(password, decodeURIComponent(password));
  } catch {}
  return secrets;
}
