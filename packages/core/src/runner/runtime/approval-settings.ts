import type { ToolApprovals } from "./interface.js";

/**
 * The settings a run hands claude, with the approval rules added as `permissions.ask` rules: an
 * ask rule wins over allowed tools and every permission mode (bypassPermissions included), so
 * claude stops at exactly those calls and asks the host.
 */
export function settingsWithApprovals(
  settings: Record<string, unknown> | undefined,
  approvals: Pick<ToolApprovals, "rules"> | undefined,
): Record<string, unknown> | undefined {
  if (!approvals?.rules.length) return settings;
  const merged = structuredClone(settings ?? {});
  const permissions = (merged.permissions ?? {}) as Record<string, unknown>;
  const ask = Array.isArray(permissions.ask) ? (permissions.ask as unknown[]) : [];
  merged.permissions = { ...permissions, ask: [...ask, ...approvals.rules] };
  return merged;
}
