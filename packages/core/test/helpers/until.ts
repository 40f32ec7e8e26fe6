/**
 * Resolves once `check` holds, polling every 20 ms. The deadline only turns a hang into a
 * readable failure before vitest's own timeout: a busy machine can take many seconds to start
 * claude, so no test relies on it.
 */
export function until(check: () => boolean, what = "condition", timeoutMs = 90_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      if (check()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - t0 > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`${what} not met within ${timeoutMs / 1000} s`));
      }
    }, 20);
  });
}
