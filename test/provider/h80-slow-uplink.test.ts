/**
 * A big paste over a slow uplink, alone in the room: the server answers nothing until it has read the whole message,
 * so the provider hears nothing for longer than its 30 s silence timeout while its bytes still go out. Dropping that
 * socket started the upload over on the next one, again and again: the paste was never saved. A real server behind a
 * TCP relay that passes the client's bytes at 40 kB/s.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./backend.js";
import { destroyProviders, makeProvider, nextEvent, synced } from "./support.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  destroyProviders();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A relay to `port` that passes what the client sends at `bytesPerSecond` (the answers at full speed). */
async function slowUplink(port: number, bytesPerSecond: number): Promise<number> {
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => socket.destroy());
      socket.on("close", () => (sockets.delete(socket), client.destroy(), upstream.destroy()));
    }
    upstream.pipe(client);
    const slice = Math.ceil(bytesPerSecond / 10);
    client.on("data", (chunk: Buffer) => {
      client.pause();
      const pass = (from: number) => {
        if (upstream.destroyed) return;
        upstream.write(chunk.subarray(from, from + slice));
        if (from + slice < chunk.length) setTimeout(() => pass(from + slice), 100);
        else setTimeout(() => client.resume(), 100);
      };
      pass(0);
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), relay.close(() => resolve()))));
  return (relay.address() as net.AddressInfo).port;
}

describe("provider on a slow uplink", () => {
  it("keeps the socket while a 1.4 MB change takes 35 s to go out, and the change is saved", async () => {
    const backend: Backend = await startBackend();
    cleanups.push(() => backend.close());
    const port = await slowUplink(backend.port, 40_000);
    const provider = makeProvider(`127.0.0.1:${port}`, "slow-uplink", { disableBc: true });
    const statuses: string[] = [];
    provider.on("status", ({ status }) => statuses.push(status));
    await synced(provider);
    provider.doc.getText("t").insert(0, "pasted ".repeat(200_000));
    await nextEvent(provider, "unsynced-changes", (count: number) => count === 0, 80_000);
    expect(statuses).toEqual(["connecting", "connected"]);
  }, 100_000);
});
