/**
 * `docker.egress.allow`: which hosts a proxy-only container may reach through herdctl's proxy.
 * An entry is a host name (`github.com`), or `*.` and a suffix (`*.example.com`, any subdomain
 * at any depth but not example.com itself), with an optional `:port`. Without a port an entry
 * allows the two web ports, 443 (HTTPS, tunnelled with CONNECT) and 80 (plain HTTP); with one it
 * allows that port only. Names compare case-insensitively, a trailing dot ignored.
 */
export interface EgressRule {
  /** Lower-case host name, or the suffix after `*.` when `wildcard`. */
  readonly host: string;
  readonly wildcard: boolean;
  /** undefined: 443 and 80. */
  readonly port: number | undefined;
}

export const DEFAULT_EGRESS_PORTS: readonly number[] = [443, 80];

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

function normalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

function validHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split(".").every((label) => LABEL.test(label));
}

/** The problem with one entry, or the rule it stands for. */
export function parseEgressRule(entry: string): EgressRule | { error: string } {
  const trimmed = entry.trim();
  const match = /^(.*?)(?::(\d{1,5}))?$/.exec(trimmed);
  const rawHost = match?.[1] ?? "";
  const portText = match?.[2];
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535))
    return { error: `"${entry}" has port ${portText}; a port is 1 to 65535` };
  const wildcard = rawHost.startsWith("*.");
  const host = normalHost(wildcard ? rawHost.slice(2) : rawHost);
  if (host.includes("*"))
    return { error: `"${entry}" has a * other than a leading "*."; write e.g. "*.example.com"` };
  if (!validHostName(host))
    return {
      error: `"${entry}" is not a host name; write e.g. "github.com", "*.example.com" or "registry.example.com:8443"`,
    };
  if (wildcard && !host.includes("."))
    return { error: `"${entry}" would allow a whole top-level domain; name a domain, e.g. "*.example.com"` };
  return { host, wildcard, port };
}

export function parseEgressRules(entries: readonly string[]): EgressRule[] {
  return entries.map((entry) => {
    const rule = parseEgressRule(entry);
    if ("error" in rule) throw new Error(rule.error);
    return rule;
  });
}

function hostMatches(rule: EgressRule, host: string): boolean {
  return rule.wildcard ? host.endsWith(`.${rule.host}`) : host === rule.host;
}

function portMatches(rule: EgressRule, port: number): boolean {
  return rule.port === undefined ? DEFAULT_EGRESS_PORTS.includes(port) : rule.port === port;
}

/** Whether host:port is allowed. The host is the name the client asked for, not an address. */
export function egressAllowed(rules: readonly EgressRule[], host: string, port: number): boolean {
  const name = normalHost(host);
  return rules.some((rule) => hostMatches(rule, name) && portMatches(rule, port));
}

/** Whether `outer` allows everything `inner` allows (an agent file may only narrow the fleet's list). */
export function ruleCovers(outer: EgressRule, inner: EgressRule): boolean {
  const ports =
    outer.port === undefined
      ? inner.port === undefined || DEFAULT_EGRESS_PORTS.includes(inner.port)
      : inner.port === outer.port;
  if (!ports) return false;
  if (!outer.wildcard) return !inner.wildcard && inner.host === outer.host;
  return inner.host.endsWith(`.${outer.host}`) || (inner.wildcard && inner.host === outer.host);
}

/** The entry to add to docker.egress.allow for host:port. */
export function suggestedEntry(host: string, port: number): string {
  const name = normalHost(host);
  return DEFAULT_EGRESS_PORTS.includes(port) ? name : `${name}:${port}`;
}
