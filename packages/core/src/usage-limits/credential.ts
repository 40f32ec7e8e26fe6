import { CredentialSource, credentialsFile, type EnvLayer } from "../proxy/credential-source.js";
// `herdctl status` loads this module and names a credential only when a usage-limit pause is stored.
import { nodeCrypto } from "../util/lazy-crypto.js";

/** The model credential a job uses, named by a hash: pauses are per credential, never per secret. */
export interface CredentialId {
  /** sha256 prefix over the kind, the secret (or claude's login file) and the endpoint. */
  readonly id: string;
  /** For people: the kind and the id's first characters, e.g. "API key 3f2a9c01". */
  readonly label: string;
}

const KIND_LABELS = {
  api_key: "API key",
  oauth: "subscription token",
  bearer: "gateway token",
  login: "claude login",
  none: "no credential",
} as const;

/**
 * The credential claude gets from these environment layers (most important first), in claude's own
 * order. A subscription login kept in claude's credentials file is named by the file, not its
 * token: the token rotates on every refresh, and the limit belongs to the account.
 */
export function credentialOf(layers: readonly EnvLayer[]): CredentialId {
  const source = new CredentialSource(layers);
  const current = source.current();
  let kind: keyof typeof KIND_LABELS = current?.kind ?? "none";
  let secret = current?.value ?? "";
  if (kind === "oauth" && !source.lookup("CLAUDE_CODE_OAUTH_TOKEN")) {
    kind = "login";
    secret = credentialsFile({
      CLAUDE_CONFIG_DIR: source.lookup("CLAUDE_CONFIG_DIR"),
      HOME: source.lookup("HOME"),
    });
  }
  const id = nodeCrypto()
    .createHash("sha256")
    .update(`${kind}\0${secret}\0${source.upstream()}`)
    .digest("hex")
    .slice(0, 16);
  return { id, label: `${KIND_LABELS[kind]} ${id.slice(0, 8)}` };
}
