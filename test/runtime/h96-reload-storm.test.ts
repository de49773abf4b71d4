/**
 * Reloads in a tight loop while clients connect, send and close (rooms whose onStart reads storage, so connections
 * are often still starting when a stop comes): no message reaches onMessage twice or out of its client's order,
 * every connection an instance ran onConnect for gets onClose once, and none is left counted once clients are gone.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, pollUntil, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

describe("reloads in a tight loop while clients connect, send and close", () => {
  it("no message twice or out of order, onClose once per onConnect, nothing left counted", async () => {
    const received = new Map<string, number[]>();
    const connects = new Map<string, number>();
    const closes = new Map<string, number>();
    const live = new Set<Party.Room>();
    class Room implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onStart() {
        live.add(this.room);
        await this.room.storage.get("anything");
      }
      onConnect(conn: Party.Connection) {
        connects.set(conn.id, (connects.get(conn.id) ?? 0) + 1);
      }
      onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        const list = received.get(sender.id) ?? [];
        list.push(Number(message));
        received.set(sender.id, list);
      }
      onClose(conn: Party.Connection) {
        closes.set(conn.id, (closes.get(conn.id) ?? 0) + 1);
      }
      onStop() {
        live.delete(this.room);
      }
    }
    const { server, wsUrl } = await startServer({ main: Room }, { storage: "memory" });
    let reloading = true;
    let reloadCount = 0;
    const reloads = (async () => {
      while (reloading) {
        await server.reload({ main: Room });
        reloadCount++;
        await new Promise((resolve) => setImmediate(resolve)); // a reload with no room loaded ends in microtasks
      }
    })();
    const clients = [];
    for (let round = 0; round < 10; round++) {
      const batch = Array.from({ length: 10 }, (_, i) => {
        const client = connect(wsUrl(`/parties/main/r${i % 3}?_pk=c${round}-${i}`));
        return (async () => {
          await client.opened.catch(() => {});
          for (let n = 0; n < 20 && client.ws.readyState === client.ws.OPEN; n++) client.ws.send(String(n));
          client.ws.close(1000);
          await waitFor(client.closed, "a client's close");
        })();
      });
      clients.push(...batch);
      await Promise.all(batch);
    }
    reloading = false;
    await reloads;
    expect(reloadCount).toBeGreaterThan(5);
    await Promise.all(clients);
    for (const [id, list] of received) expect(list, id).toEqual(list.map((_, i) => i));
    await pollUntil("every onConnect closed", async () => ([...connects].every(([id, n]) => closes.get(id) === n) ? true : undefined));
    for (const [id, n] of closes) expect(n, id).toBe(connects.get(id));
    for (const room of live) expect([...room.getConnections()].length).toBe(0);
    expect(server.rooms().reduce((sum, room) => sum + room.connections, 0)).toBe(0);
  });
});
