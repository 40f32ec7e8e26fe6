import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The credential the proxy puts on an upstream request; the container never sees it. */
export type UpstreamCredential =
  | { kind: "api_key"; value: string }
  /** A Claude subscription token: Authorization: Bearer plus the OAuth beta flag. */
  | { kind: "oauth"; value: string }
  /** ANTHROPIC_AUTH_TOKEN: a plain bearer token, as gateways in front of the API take. */
  | { kind: "bearer"; value: string };

export type EnvLayer = () => Record<string, string | undefined> | undefined;

/** The environment names that carry the model credential and where it is sent. */
export const MODEL_CREDENTIAL_ENV = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
  "ANTHROPIC_BASE_URL",
] as const;

export const DEFAULT_UPSTREAM = "https://api.anthropic.com";

/** The file claude itself keeps its subscription login in, refreshed in place when the token rotates. */
export function credentialsFile(env: Record<string, string | undefined>): string {
  return join(env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), ".claude"), ".credentials.json");
}

/**
 * Where a job's real credential comes from, looked up again for every request so a key or token
 * replaced on the host (an OAuth refresh rewrites claude's credentials file) reaches jobs that are
 * already running. Layers are ordered most important first and read lazily for the same reason.
 */
export class CredentialSource {
  private cache: { path: string; mtimeMs: number; size: number; token: string | undefined } | undefined;

  constructor(private readonly layers: readonly EnvLayer[]) {}

  /** First non-empty value of `name` across the layers. */
  lookup(name: string): string | undefined {
    for (const layer of this.layers) {
      const value = layer()?.[name];
      if (value) return value;
    }
    return undefined;
  }

  /** The upstream base URL: ANTHROPIC_BASE_URL where one is set, Anthropic's API otherwise. */
  upstream(): string {
    return this.lookup("ANTHROPIC_BASE_URL") ?? DEFAULT_UPSTREAM;
  }

  /** claude's own order: a gateway token, then an API key, then a subscription token, then its login file. */
  current(): UpstreamCredential | undefined {
    const bearer = this.lookup("ANTHROPIC_AUTH_TOKEN");
    if (bearer) return { kind: "bearer", value: bearer };
    const key = this.lookup("ANTHROPIC_API_KEY");
    if (key) return { kind: "api_key", value: key };
    const oauth = this.lookup("CLAUDE_CODE_OAUTH_TOKEN") ?? this.fileToken();
    return oauth ? { kind: "oauth", value: oauth } : undefined;
  }

  /** The access token in claude's credentials file; parsed again only when the file changed. */
  private fileToken(): string | undefined {
    const env: Record<string, string | undefined> = {};
    for (const name of ["CLAUDE_CONFIG_DIR", "HOME"]) env[name] = this.lookup(name);
    const path = credentialsFile(env);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return undefined;
    const cached = this.cache;
    if (cached && cached.path === path && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size)
      return cached.token;
    let token: string | undefined;
    try {
      const parsed = JSON.parse(readFileSync(path, "utf8")) as { claudeAiOauth?: { accessToken?: unknown } };
      const value = parsed.claudeAiOauth?.accessToken;
      token = typeof value === "string" && value ? value : undefined;
    } catch {
      // Half-written during a refresh: keep the token we had; the next request looks again.
      return cached?.path === path ? cached.token : undefined;
    }
    this.cache = { path, mtimeMs: stat.mtimeMs, size: stat.size, token };
    return token;
  }
}
