/**
 * `yparty start | head -1`, `yparty export … | head`: once the reader of stdout or stderr is gone, a write fails
 * with EPIPE, emitted as the stream's `error` event. Unhandled, it became an uncaught exception, whose log line
 * failed the same way on the next tick, forever (100% CPU, the exit timer starved). A reader that went away only
 * ends the output: the command goes on, and a signal still ends a server as usual.
 */
export function ignoreBrokenPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
      throw error;
    });
  }
}
