import { readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import { resolveConfigPath } from "../config/discover.js";
import { fleetFileIn } from "../config/load.js";
import { replaceFileText } from "../schedule-edit/write-file.js";
import { type FileShape, type FixChange, planFixes } from "./plan.js";

/** What `config validate --fix` did to one file. */
export interface FileFixes {
  file: string;
  /** As shown to the user: relative to the fleet file's folder. */
  display: string;
  changes: FixChange[];
  /** Why the file was left alone although it may need fixes. */
  skipped?: string;
}

/**
 * Applies the safe automatic fixes to the fleet file, every agent file and sub-fleet it names, in
 * place. Files are found from the YAML alone, so a fleet that does not load yet can still be fixed.
 * Each file is written whole through a temporary file and a rename, and only if it still holds
 * what was read; a file that is not readable YAML is reported and left as it is.
 */
export async function fixConfigFiles(pathOrDir: string): Promise<FileFixes[]> {
  const root = resolveConfigPath(resolve(pathOrDir));
  const base = dirname(root);
  const results: FileFixes[] = [];
  const seen = new Set<string>();
  const visit = async (file: string, shape: FileShape): Promise<void> => {
    if (seen.has(file)) return;
    seen.add(file);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      return; // A missing file is the loader's to report, with the line that names it.
    }
    const display = relative(base, file) || file;
    const planned = planFixes(text, shape);
    if (planned.changes.length > 0) {
      await replaceFileText(file, planned.text, { expected: text, display, inPlace: false });
    }
    if (planned.changes.length > 0 || planned.skipped) {
      results.push({ file, display, changes: planned.changes, skipped: planned.skipped });
    }
    if (shape === "fleet") {
      for (const ref of referencedFiles(planned.text, dirname(file))) await visit(ref.file, ref.shape);
    }
  };
  await visit(root, "fleet");
  return results;
}

function referencedFiles(text: string, dir: string): { file: string; shape: FileShape }[] {
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) return [];
  const out: { file: string; shape: FileShape }[] = [];
  for (const [list, shape] of [
    ["agents", "agent"],
    ["fleets", "fleet"],
  ] as const) {
    const seq = doc.contents.get(list, true);
    if (!isSeq(seq)) continue;
    for (const ref of seq.items) {
      const path = isMap(ref) ? ref.get("path", true) : undefined;
      if (!isScalar(path) || typeof path.value !== "string") continue;
      const file = resolve(dir, path.value);
      out.push({ file: shape === "fleet" ? fleetFileIn(file) : file, shape });
    }
  }
  return out;
}
