/**
 * Which configured rule a call matched, for the record: claude says only that "a rule" asked. This
 * reads the common shapes of claude's rule syntax (a bare tool name, `Bash(prefix:*)`, an exact
 * command, a path glob); a call it cannot place is recorded without a rule, and still waits,
 * because claude, not this function, decides what asks.
 */
export function matchedRule(rules: readonly string[], toolName: string, input: Record<string, unknown>) {
  for (const rule of rules) {
    const open = rule.indexOf("(");
    const name = open === -1 ? rule : rule.slice(0, open);
    if (name !== toolName) continue;
    if (open === -1 || !rule.endsWith(")")) return rule;
    const content = rule.slice(open + 1, -1);
    const subject = subjectOf(input);
    if (subject === undefined) continue;
    if (content.endsWith(":*") ? subject.startsWith(content.slice(0, -2)) : globMatches(content, subject))
      return rule;
  }
  return null;
}

function subjectOf(input: Record<string, unknown>): string | undefined {
  for (const key of ["command", "file_path", "path", "url", "pattern"]) {
    const value = input[key];
    if (typeof value === "string") return value;
  }
  return undefined;
}

function globMatches(glob: string, subject: string): boolean {
  let pattern = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      pattern += ".*";
      i++;
    } else if (c === "*") pattern += "[^/]*";
    else pattern += c.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${pattern}$`, "s").test(subject);
}
