/**
 * In frequent.cjs, core's runner/runtime/agent-sdk.ts (scripts/bundle-cli.mjs swaps it for this
 * file). frequent.cjs runs from a V8 code cache through `vm.Script` (code-cache.ts), where Node 20
 * allows `import()` only with an experimental loader that warns on stderr. The SDK is an ES
 * module, so the CLI's first file (herdctl.cjs, an ordinary CommonJS module) imports it instead,
 * through the function it registers here before it loads frequent.cjs (registerAgentSdkImport).
 */
const KEY = Symbol.for("herdctl.import-agent-sdk");
type AgentSdk = typeof import("@anthropic-ai/claude-agent-sdk");
type Holder = { [KEY]?: () => Promise<AgentSdk> };

export function loadAgentSdk(): Promise<AgentSdk> {
  const load = (globalThis as Holder)[KEY];
  if (!load)
    return Promise.reject(
      new Error("frequent.cjs loads the Agent SDK through herdctl.cjs, which did not register its import"),
    );
  return load();
}

/** Called by herdctl.cjs (entry.ts) with its own `import()` of the SDK. */
export function registerAgentSdkImport(load: () => Promise<AgentSdk>): void {
  (globalThis as Holder)[KEY] = load;
}
