import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HOOK_CONTEXT_FIELDS } from "../../packages/core/src/hooks/context.js";
import { shellHookEnv } from "../../packages/core/src/hooks/shell.js";
import { hookContext } from "../../packages/core/test/hooks/hook-context.js";
import { proseLines, ROOT, readText } from "./markdown.js";

const DOC = join(ROOT, "docs", "configuration.md");
const HEADING = "### The hook context";

interface Row {
  field: string;
  variable: string | null;
  type: string;
}

/** The rows of the table under HEADING in docs/configuration.md. */
function documentedRows(): Row[] {
  const lines = proseLines(readText(DOC)).map((l) => l.text);
  const start = lines.indexOf(HEADING);
  if (start < 0) throw new Error(`docs/configuration.md has no "${HEADING}" section`);
  const rows: Row[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("#")) break;
    const cells = /^\|\s*`([^`]+)`\s*\|\s*(?:`([^`]+)`|—)\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (cells) rows.push({ field: cells[1]!, variable: cells[2] ?? null, type: cells[3]! });
  }
  return rows;
}

/** Every dotted path in a context object, parents before children, as users address them. */
function paths(value: object, prefix = ""): string[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const path = prefix + key;
    return v !== null && typeof v === "object" ? [path, ...paths(v, `${path}.`)] : [path];
  });
}

describe("docs/configuration.md: the hook context", () => {
  it("lists exactly the fields a hook receives, in order", () => {
    // A failed scheduled job with metadata: every optional field is present.
    const context = {
      ...hookContext({ status: "failed", error: "boom", metadata: {} }),
      // Present only for budget_exceeded hooks.
      budget: {
        scope: "a",
        period: "daily",
        limit_usd: 1,
        spent_usd: 2,
        resets_at: "2026-01-02T00:00:00.000Z",
      },
      // Present only for usage_limited hooks; a list is one field, not one per item.
      usage_limit: {
        credential: "subscription token 3f2a9c01",
        resets_at: "2026-01-02T05:00:00.000Z",
        source: "rate_limit_event",
        agents: [],
      },
      // Present only for approval_requested and approval_decided hooks.
      approval: {
        id: "apr-0000aaaa",
        tool: "Bash",
        input: "{}",
        rule: "Bash(git push:*)",
        state: "approved",
        requested_at: "2026-01-02T00:00:00.000Z",
        expires_at: "2026-01-02T01:00:00.000Z",
        on_timeout: "deny",
        decided_by: "alice",
        decided_via: "cli",
        reason: "release day",
      },
    };
    expect(Object.keys(HOOK_CONTEXT_FIELDS)).toEqual(paths(context));
    expect(documentedRows().map((r) => r.field)).toEqual(Object.keys(HOOK_CONTEXT_FIELDS));
  });

  it("gives each field the type the code declares", () => {
    for (const row of documentedRows()) {
      const field = HOOK_CONTEXT_FIELDS[row.field]!;
      const type = field.optional
        ? `${field.type} or absent`
        : field.nullable
          ? `${field.type} or null`
          : field.type;
      expect(row.type, row.field).toBe(type);
    }
  });

  it("names exactly the HERDCTL_* variables a shell hook gets, each next to its field", () => {
    const context = hookContext();
    const env = shellHookEnv(context, {});
    const documented = documentedRows().filter((r) => r.variable !== null);
    expect(documented.map((r) => r.variable).sort()).toEqual(Object.keys(env).sort());
    for (const { field, variable } of documented) {
      const value = field.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], context);
      expect(env[variable!], `${variable} should carry ${field}`).toBe(value === null ? "" : String(value));
    }
  });

  it("says the summary is the whole final reply", () => {
    expect(readText(DOC)).toContain(
      "`job.summary`,\n`result.output` and `HERDCTL_SUMMARY` hold claude's **whole final reply**",
    );
  });
});
