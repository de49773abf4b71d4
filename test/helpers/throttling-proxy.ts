/**
 * A slow link for tests: a TCP proxy that passes what the server sends at a given rate, so a client reads a large
 * message for seconds, as one on a slow network does.
 */
import { connect as connectTcp, createServer as createNetServer, type AddressInfo, type Socket } from "node:net";

/** What the throttling proxy passes per `everyMs`: a socket read's most. */
const PROXY_BYTES_PER_TICK = 64 * 1024;

/** A TCP proxy to `port` that passes the server's bytes at 64 KiB per `everyMs` (~6.4 MB/s at 10 ms): a slow link. */
export async function throttlingProxy(port: string, everyMs: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const proxy = createNetServer((client) => {
    const upstream = connectTcp(Number(port), "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream);
    // A rate, not a chunk per tick: reads come in whatever sizes the kernel has, smaller on a loaded machine.
    const started = performance.now();
    let passed = 0;
    upstream.on("data", (chunk: Buffer) => {
      client.write(chunk);
      passed += chunk.byteLength;
      const wait = started + (passed / PROXY_BYTES_PER_TICK) * everyMs - performance.now();
      if (wait <= 0) return;
      upstream.pause();
      setTimeout(() => upstream.resume(), wait);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    },
  };
}
