/**
 * A reader that goes away (`herdctl jobs | head -1`) ends the command quietly, as it ends other
 * Unix tools, instead of with an unhandled EPIPE. The daemon (`herdctl start`) keeps running
 * instead: its jobs matter more than its log, which simply stops being written.
 */
let keepRunning = false;

export function keepRunningWhenOutputCloses(): void {
  keepRunning = true;
}

export function exitQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      // After the first EPIPE the stream is destroyed, and later writes report that instead.
      if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
      if (!keepRunning) process.exit(0);
    });
  }
}
