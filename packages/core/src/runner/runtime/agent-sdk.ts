/**
 * The Agent SDK, loaded on first use: it is large, and commands that run no SDK job should not
 * wait for it. One module, so that a build may load it another way (the CLI's frequent.cjs, which
 * runs from a V8 code cache and cannot `import()` there: see the CLI's agent-sdk-from-first-file.ts).
 */
export function loadAgentSdk(): Promise<typeof import("@anthropic-ai/claude-agent-sdk")> {
  return import("@anthropic-ai/claude-agent-sdk");
}
