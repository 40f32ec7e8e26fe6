/**
 * Text that came from a model, a webhook or a user, made safe to print on a terminal: every
 * control character except newline and tab is shown instead of obeyed, so output cannot retitle
 * the window (ESC ]0;), clear the screen (ESC [2J), plant OSC 8 links or overwrite a line with
 * carriage returns. Applied to the data before our own colours wrap it; stored output is untouched.
 *
 * C0 controls and DEL become their Unicode control pictures (ESC → ␛, CR → ␍); C1 controls, which
 * some terminals obey as 8-bit escapes (U+009B is CSI), become a visible \u{9b}.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function visible(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    return `\\u{${code.toString(16)}}`;
  });
}
