/** Shared by the benches: one line per figure, and exit 1 on a missed target in full mode only. */
export const QUICK = process.argv.includes("--quick");

let missed = false;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const fmt = (n: number, unit = "ms") => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ${unit}`;

/** `name: baseline X · ours Y · ratio R (target …)`; a figure with no baseline prints "—". */
export function figure(
  name: string,
  baseline: string | undefined,
  ours: string,
  ratio: number | undefined,
  target: string,
  ok: boolean,
): void {
  if (!ok) missed = true;
  const r = ratio === undefined ? "—" : ratio.toFixed(2);
  console.log(
    `${name}: baseline ${baseline ?? "—"} · ours ${ours} · ratio ${r} (target ${target})${ok ? "" : "  MISSED"}`,
  );
}

export function finish(): never {
  process.exit(missed && !QUICK ? 1 : 0);
}
