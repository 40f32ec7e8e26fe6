import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { WebError } from "./errors.js";

export const TOKEN_FILE = "web-token";

/**
 * The dashboard token: from the named environment variable, or freshly generated into
 * `<stateDir>/web-token` (owner-only). `generated` tells the caller to show it once.
 */
export function resolveToken(
  stateDir: string,
  authTokenEnv: string | undefined,
  env: NodeJS.ProcessEnv,
): { token: string; generated: boolean } {
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
    return { token, generated: false };
  }
  const token = randomBytes(32).toString("base64url");
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, TOKEN_FILE);
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  // The mode option only applies when the file is created; an older file keeps its mode otherwise.
  chmodSync(path, 0o600);
  return { token, generated: true };
}

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The cookie carries a value derived from the token, so a leaked cookie is not the token itself. */
export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("herdctl-web-session-v1").digest("base64url");
}
