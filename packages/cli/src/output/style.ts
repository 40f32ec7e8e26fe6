/** Colour only on a terminal, and never when NO_COLOR is set or --no-color was given. */
export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

export function createStyle(stream: NodeJS.WriteStream, noColorFlag = false): Style {
  const enabled =
    !noColorFlag &&
    stream.isTTY === true &&
    process.env.NO_COLOR === undefined &&
    process.env.TERM !== "dumb";
  const wrap = (open: number, close: number) => (s: string) =>
    enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

export function statusColour(style: Style, status: string): string {
  switch (status) {
    case "completed":
      return style.green(status);
    case "failed":
    case "timed_out":
    case "interrupted":
      return style.red(status);
    case "cancelled":
      return style.yellow(status);
    case "running":
      return style.cyan(status);
    case "waiting_approval":
      return style.magenta(status);
    default:
      return style.dim(status);
  }
}
