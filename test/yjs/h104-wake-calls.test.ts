/**
 * Wake-up calls (docs/protocol.md, "Wake-up calls"): a connection that sends `yparty-wake#<ms>` gets one empty
 * awareness frame that long after (at least 1 s), one per call waiting, on every face of the Yjs room; a connection
 * that never asks gets none; a malformed call is ignored, like any text that is not ours; and the frame changes
 * nothing in a y-protocols Awareness (what a client that does not know it does with it).
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { Awareness, applyAwarenessUpdate } from "y-protocols/awareness";
import { WAKE_FRAME, decodeMessage, encodeWakeCall } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty, YServer, onConnect } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer, type Frame, type TestClient } from "../helpers/server.js";

const PARTIES = {
  main: DocumentParty,
  yserver: class extends YServer {},
  pk: { onConnect: (conn: Party.Connection, room: Party.Room) => onConnect(conn, room) },
};

const isWake = (frame: Frame) => typeof frame !== "string" && frame.length === WAKE_FRAME.length && frame.every((byte, i) => byte === WAKE_FRAME[i]);
const wakes = (client: TestClient) => client.messages.filter(isWake).length;

/** Resolves once `client` has received its `count`-th wake frame. */
async function wakeNumber(client: TestClient, count: number): Promise<void> {
  for (let index = 0; wakes(client) < count; index++) await client.nth(index, 5_000);
}

afterEach(cleanupAll);

describe("wake-up calls", () => {
  it.each(Object.keys(PARTIES))("party %s: answers each call once, after its delay (at least 1 s), only to its caller", async (party) => {
    const server = await startServer(PARTIES, { storage: "memory" });
    const caller = connect(server.wsUrl(`/parties/${party}/wake`));
    const bystander = connect(server.wsUrl(`/parties/${party}/wake`));
    await Promise.all([caller.opened, bystander.opened]);
    await Promise.all([caller.nth(0), bystander.nth(0)]); // greeted: the room is loaded

    const asked = Date.now();
    caller.send(encodeWakeCall(0)); // under the least delay: waits 1 s
    caller.send(encodeWakeCall(1_000)); // while one waits: ignored
    caller.send("yparty-wake#soon"); // not a call: ignored, the connection stays
    await wakeNumber(caller, 1);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(1_000 - 5); // timers round to the millisecond
    caller.send(encodeWakeCall(1_000));
    await wakeNumber(caller, 2);
    expect(wakes(caller)).toBe(2);
    expect(wakes(bystander)).toBe(0);
    expect(caller.ws.readyState).toBe(caller.ws.OPEN);

    // A call left waiting by a connection that closes keeps nothing from stopping.
    caller.send(encodeWakeCall(60_000));
    await caller.close();
    await bystander.close();
    await server.stop();
  });

  it("the answer is a y-protocols awareness update that changes nothing", () => {
    const message = decodeMessage(WAKE_FRAME);
    expect(message.type).toBe("awareness");
    const awareness = new Awareness(new Y.Doc());
    const events: string[] = [];
    awareness.on("change", () => events.push("change"));
    awareness.on("update", () => events.push("update"));
    applyAwarenessUpdate(awareness, (message as { update: Uint8Array }).update, "server");
    expect(events).toEqual([]);
    expect([...awareness.getStates().keys()]).toEqual([awareness.clientID]);
    awareness.destroy();
  });
});
