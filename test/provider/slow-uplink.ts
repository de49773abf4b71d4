/**
 * A TCP relay that models a slow uplink: what the client sends passes at `bytesPerSecond`, and the relay reads no
 * faster than it passes, so the client's OS buffer and then its browser's send queue (`bufferedAmount`) fill, as on a
 * real slow link. Answers pass at full speed. `stall()` stops the client's bytes altogether with that backpressure kept
 * (a link that died under the socket: nothing drains, and a new connection gets nowhere), `resume()` lets them go on.
 */
import net from "node:net";

export interface SlowUplink {
  readonly port: number;
  /** Connections the relay accepted. */
  readonly connections: number;
  /** Bytes of the clients' that reached the server. */
  readonly passed: number;
  /** Resolves once `passed` reaches `bytes`. */
  whenPassed(bytes: number): Promise<void>;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startSlowUplink(targetPort: number, bytesPerSecond: number): Promise<SlowUplink> {
  const sockets = new Set<net.Socket>();
  const stalledSteps: Array<() => void> = [];
  const passedWaiters: Array<{ bytes: number; resolve(): void }> = [];
  let stalled = false;
  let connections = 0;
  let passed = 0;
  // One slice every 100 ms; a stalled relay keeps its next step (and the client paused) until resume().
  const slice = Math.ceil(bytesPerSecond / 10);
  const later = (step: () => void) => setTimeout(() => (stalled ? stalledSteps.push(step) : step()), 100);
  const bridge = (client: net.Socket) => {
    if (client.destroyed) return;
    const upstream = net.connect(targetPort, "127.0.0.1");
    sockets.add(upstream);
    upstream.on("error", () => upstream.destroy());
    upstream.on("close", () => (sockets.delete(upstream), client.destroy()));
    client.on("close", () => upstream.destroy());
    upstream.pipe(client);
    client.on("data", (chunk: Buffer) => {
      client.pause();
      const pass = (from: number) => {
        if (upstream.destroyed) return;
        const part = chunk.subarray(from, from + slice);
        upstream.write(part);
        passed += part.length;
        for (const waiter of passedWaiters.filter((waiter) => passed >= waiter.bytes)) {
          passedWaiters.splice(passedWaiters.indexOf(waiter), 1);
          waiter.resolve();
        }
        later(from + slice < chunk.length ? () => pass(from + slice) : () => client.resume());
      };
      pass(0);
    });
  };
  const relay = net.createServer((client) => {
    connections++;
    sockets.add(client);
    client.on("error", () => client.destroy());
    client.on("close", () => sockets.delete(client));
    // A dead link passes no new connection's bytes either (a reconnect's upgrade request among them): it reaches the
    // server once the link works again. Until then what the client sends waits in the relay's read buffer.
    if (stalled) stalledSteps.push(() => bridge(client));
    else bridge(client);
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    get connections() {
      return connections;
    },
    get passed() {
      return passed;
    },
    whenPassed: (bytes) => (passed >= bytes ? Promise.resolve() : new Promise((resolve) => passedWaiters.push({ bytes, resolve }))),
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const step of stalledSteps.splice(0)) step();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        relay.close(() => resolve());
      }),
  };
}
