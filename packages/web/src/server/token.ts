import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, rmSync, type Stats, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WebError } from "./errors.js";

export const TOKEN_FILE = "web-token";

/**
 * The dashboard token: from the named environment variable, or kept in `<stateDir>/web-token`
 * (owner-only), generated when absent. A file another user could have read, or that someone
 * else owns, is replaced rather than trusted: its token may be known.
 */
export function resolveToken(
  stateDir: string,
  authTokenEnv: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  if (authTokenEnv) {
    const token = env[authTokenEnv];
    if (!token) {
      throw new WebError(
        "WEB_TOKEN_MISSING",
        `web.auth_token_env names ${authTokenEnv}, but that environment variable is empty or unset; ` +
          `set it to a long random string, or remove auth_token_env to have a token generated`,
      );
    }
    if (token.length < 16) {
      throw new WebError(
        "WEB_TOKEN_MISSING",
        `the token in ${authTokenEnv} is ${token.length} characters long; use at least 16 random characters`,
      );
    }
    return token;
  }
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, TOKEN_FILE);
  const kept = readOwnToken(path);
  if (kept) return kept;
  const token = randomBytes(32).toString("base64url");
  rmSync(path, { force: true });
  // "wx" with the mode: the file is created owner-only, never opened through someone's symlink.
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: "wx" });
  return token;
}

function readOwnToken(path: string): string | undefined {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch {
    return undefined;
  }
  const ours = stat.isFile() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0;
  if (!ours) return undefined;
  const token = readFileSync(path, "utf8").trim();
  return /^[A-Za-z0-9_-]{32,}$/.test(token) ? token : undefined;
}

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
