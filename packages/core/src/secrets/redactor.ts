// Substring match on purpose: over-redacting MONKEY_COUNT is cheaper than printing a token.
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

/** The value of every secret-looking variable in `env`, each once, in `env`'s order. */
export function envSecretValues(env: NodeJS.ProcessEnv): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) if (value && looksSecretName(name)) values.add(value);
  return [...values];
}

/** Credentials claude needs; they go to the child's environment and nowhere else. */
export const CREDENTIAL_ENV_NAMES = [
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_AUTH_TOKEN",
  "CLAUDE_CODE_OAUTH_TOKEN",
] as const;

export function looksSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export const REDACTED = "[redacted]";

/**
 * Replaces known secret values in text and data before it is logged, stored or shown.
 * Values shorter than 6 characters are ignored: redacting "1" or "true" would mangle output
 * and protect nothing.
 */
export class Redactor {
  private readonly values: string[];

  constructor(values: Iterable<string | undefined>) {
    const unique = new Set<string>();
    for (const v of values) if (v && v.length >= 6) unique.add(v);
    // Longest first, so a secret that contains another is replaced whole.
    this.values = [...unique].sort((a, b) => b.length - a.length);
  }

  static fromEnv(...envs: Array<Record<string, string | undefined> | undefined>): Redactor {
    const values: string[] = [];
    for (const env of envs) {
      for (const [name, value] of Object.entries(env ?? {})) {
        if (value && looksSecretName(name)) values.push(value);
      }
    }
    return new Redactor(values);
  }

  with(more: Iterable<string | undefined>): Redactor {
    return new Redactor([...this.values, ...more]);
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  }

  /** Redacts every string inside a JSON-like value. */
  redactDeep<T>(value: T): T {
    if (this.values.length === 0) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return this.redact(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object") {
        return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
      }
      return v;
    };
    return walk(value) as T;
  }
}
