import { looksSecretName } from "../secrets/redactor.js";
import type { ConfigIssue } from "./errors.js";
import { originIssue, type SNode, walkScalars } from "./source.js";

// `$${` is the escape for a literal `${` (e.g. a shell hook that wants the shell to expand it).
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const WHOLE = /^\$\{[^}]*\}$/;
const FORM = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
/**
 * Substitutes `${VAR}` and `${VAR:-default}` in every string of the tree, in place. The default
 * applies when the variable is unset or empty, as in the shell. Scalars that are exactly one
 * reference are flagged so validation can turn "3232" into the number the schema wants.
 */
export function interpolate(root: SNode, env: NodeJS.ProcessEnv): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  walkScalars(root, (leaf) => {
    if (typeof leaf.value !== "string" || !leaf.value.includes("${")) return;
    const text = leaf.value;
    let secret = false;
    const result = text.replace(REFERENCE, (match, body: string | undefined) => {
      if (body === undefined) return "${";
      const form = FORM.exec(body);
      if (!form) {
        issues.push(
          originIssue(leaf.origin, `"${match}" is not a valid variable reference`, {
            hint: `write \${NAME} or \${NAME:-default}; write $\${ for a literal \${`,
          }),
        );
        return match;
      }
      const [, name, fallback] = form as unknown as [string, string, string | undefined];
      const value = env[name];
      if (looksSecretName(name) && value !== undefined && value !== "") secret = true;
      if (value !== undefined && value !== "") return value;
      if (fallback !== undefined) return fallback;
      issues.push({
        ...originIssue(leaf.origin, `environment variable ${name} is not set`, {
          hint: `set ${name}, add it to the .env file beside the fleet file, or write \${${name}:-default}`,
        }),
        unsetVariable: name,
      });
      return match;
    });
    leaf.value = result;
    if (WHOLE.test(text)) leaf.fromEnv = true;
    if (secret) leaf.secret = true;
  });
  return issues;
}
