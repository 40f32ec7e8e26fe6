import type { ConnectorGroup, ConnectorHost } from "../connectors/types.js";
import { DiscordConnector } from "./connector.js";

/** The Discord platform module, imported by the connector registry only when an agent has chat.discord. */
export function createConnector(group: ConnectorGroup, host: ConnectorHost): DiscordConnector {
  return new DiscordConnector(group, host);
}
