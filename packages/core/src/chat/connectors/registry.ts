import type { ResolvedAgent } from "../../config/index.js";
import type {
  ChatConnector,
  ChatPlatform,
  ConnectorGroup,
  ConnectorHost,
  ConnectorModule,
  ConnectorState,
  ConnectorStatus,
} from "./types.js";

/** How to find a platform's token key on an agent, and its module, imported only when configured. */
interface Platform {
  key(agent: ResolvedAgent): string | undefined;
  load(): Promise<ConnectorModule>;
}

const PLATFORMS: Partial<Record<ChatPlatform, Platform>> = {
  discord: {
    key: (agent) => agent.chat?.discord?.bot_token_env,
    load: () => import("../discord/index.js"),
  },
  slack: {
    key: (agent) => agent.chat?.slack?.bot_token_env,
    load: () => import("../slack/connector.js"),
  },
};

/** The agents of a config grouped into bot connections: one per platform and token variable. */
export function groupConnectors(agents: readonly ResolvedAgent[]): ConnectorGroup[] {
  const groups = new Map<string, ConnectorGroup>();
  for (const agent of agents) {
    for (const [platform, spec] of Object.entries(PLATFORMS) as [ChatPlatform, Platform][]) {
      const key = spec.key(agent);
      if (key === undefined) continue;
      const id = `${platform}:${key}`;
      const group = groups.get(id) ?? { platform, key, agents: [] };
      group.agents.push(agent);
      groups.set(id, group);
    }
  }
  return [...groups.values()];
}

/** What must stay the same for a running connection to be kept across a reload. */
function signature(group: ConnectorGroup): string {
  return JSON.stringify(group.agents.map((a) => [a.name, a.chat]));
}

interface Entry {
  group: ConnectorGroup;
  signature: string;
  connector: ChatConnector | undefined;
  /** The state before (or instead of) a connector: loading its module, or failing to. */
  own: ConnectorState;
}

export interface ConnectorRegistryDeps {
  /** The host each connector gets, without `changed` (the registry adds its own). */
  host: Omit<ConnectorHost, "changed">;
  /** Replaces the platform modules (tests of the registry itself). */
  load?: (platform: ChatPlatform) => Promise<ConnectorModule>;
}

/**
 * The fleet's chat connectors. A connector that cannot connect is "failed" with its reason; the
 * fleet and the other connectors go on. Reloads keep unchanged connections and replace the rest.
 */
export class ConnectorRegistry {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;

  constructor(private readonly deps: ConnectorRegistryDeps) {}

  /** Starts the connections the agents' config asks for; never throws for a connector's failure. */
  async apply(agents: readonly ResolvedAgent[]): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map(groupConnectors(agents).map((g) => [`${g.platform}:${g.key}`, g]));
    const work: Promise<void>[] = [];
    for (const [id, entry] of this.entries) {
      const next = wanted.get(id);
      // A failed connection is tried again: the reload may follow a fixed token or portal setting.
      const failed = (entry.connector?.state() ?? entry.own).status === "failed";
      if (next && signature(next) === entry.signature && !failed) continue;
      this.entries.delete(id);
      work.push(this.stopEntry(entry));
    }
    await Promise.all(work);
    const starts: Promise<void>[] = [];
    for (const [id, group] of wanted) {
      if (this.entries.has(id)) continue;
      const entry: Entry = {
        group,
        signature: signature(group),
        connector: undefined,
        own: this.stateOf(group, "starting"),
      };
      this.entries.set(id, entry);
      this.report(entry, entry.own);
      starts.push(this.startEntry(entry));
    }
    await Promise.all(starts);
  }

  /** Every connection's state, for status and GET /api/connectors. */
  statuses(): ConnectorStatus[] {
    return [...this.entries.values()].map((entry) => ({
      platform: entry.group.platform,
      key: entry.group.key,
      ...(entry.connector?.state() ?? entry.own),
    }));
  }

  /** Stops every connection; later `apply` calls do nothing. */
  async stop(): Promise<void> {
    this.stopped = true;
    const entries = [...this.entries.values()];
    await Promise.all(entries.map((entry) => this.stopEntry(entry)));
  }

  private async startEntry(entry: Entry): Promise<void> {
    const { group } = entry;
    let module: ConnectorModule;
    try {
      module = await (this.deps.load ?? ((p) => PLATFORMS[p]!.load()))(group.platform);
    } catch (error) {
      entry.own = this.stateOf(
        group,
        "failed",
        `could not load the ${group.platform} library: ${(error as Error).message}`,
      );
      this.report(entry, entry.own);
      return;
    }
    if (!this.entries.has(`${group.platform}:${group.key}`) || this.stopped) return;
    try {
      entry.connector = module.createConnector(group, {
        ...this.deps.host,
        changed: (state) => this.report(entry, state),
      });
      await entry.connector.start();
    } catch (error) {
      // The connector has reported "failed" with its reason; a throw before it could is reported here.
      if (entry.connector?.state().status !== "failed") {
        entry.own = this.stateOf(group, "failed", (error as Error).message);
        entry.connector = undefined;
        this.report(entry, entry.own);
      }
    }
  }

  private async stopEntry(entry: Entry): Promise<void> {
    try {
      await entry.connector?.stop();
    } catch (error) {
      this.deps.host.log(`${this.label(entry)}: could not stop cleanly: ${(error as Error).message}`);
    }
    if (!entry.connector) this.report(entry, this.stateOf(entry.group, "stopped"));
  }

  private stateOf(group: ConnectorGroup, status: ConnectorState["status"], reason?: string): ConnectorState {
    return {
      status,
      ...(reason === undefined ? {} : { reason }),
      since: this.deps.host.now().toISOString(),
      agents: group.agents.map((a) => a.name),
    };
  }

  private label(entry: Entry): string {
    return `${entry.group.platform} connector (${entry.group.key}; agents ${entry.group.agents.map((a) => a.name).join(", ")})`;
  }

  private report(entry: Entry, state: ConnectorState): void {
    this.deps.host.log(`${this.label(entry)}: ${state.status}${state.reason ? `: ${state.reason}` : ""}`);
  }
}
