import { useEffect, useState } from "react";
import { api } from "./api.js";
import type { ChatSettings, FleetInfo } from "./types.js";

export interface ChatContext {
  settings: ChatSettings;
  /** Offline fleets run against the stand-in: turns have no cost to show. */
  offline: boolean;
}

const DEFAULTS: ChatContext = {
  settings: { sessionExpiryHours: 24, toolResults: true, messageGrouping: "separate" },
  offline: false,
};

let loading: Promise<ChatContext> | undefined;

/** The fleet's `web.*` chat settings, fetched once per page load (a config reload needs a refresh). */
export function useChatContext(): ChatContext {
  const [context, setContext] = useState(DEFAULTS);
  useEffect(() => {
    loading ??= api
      .get<FleetInfo & { chat?: ChatSettings }>("/api/fleet")
      .then((f) => ({ settings: { ...DEFAULTS.settings, ...f.chat }, offline: f.offline }))
      .catch(() => {
        loading = undefined;
        return DEFAULTS;
      });
    let live = true;
    loading.then((c) => live && setContext(c));
    return () => {
      live = false;
    };
  }, []);
  return context;
}
