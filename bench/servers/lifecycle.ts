/**
 * What every server child does the same way: tell the harness its port with one JSON line on stdout, and
 * close gracefully on SIGTERM/SIGINT (yparty flushes its rooms there) before exiting 0.
 */

/** The line the harness waits for (see ../server-process.ts). */
export const READY_PREFIX = "BENCH_READY ";

/** The port a `announceReady` line carries, or undefined for any other line. */
export function announcedPort(line: string): number | undefined {
  return line.startsWith(READY_PREFIX) ? (JSON.parse(line.slice(READY_PREFIX.length)) as { port: number }).port : undefined;
}

export function announceReady(port: number): void {
  process.stdout.write(`${READY_PREFIX}${JSON.stringify({ port, pid: process.pid })}\n`);
}

export function closeOnSignals(close: () => Promise<void>): void {
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
