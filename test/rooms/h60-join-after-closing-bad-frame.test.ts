/**
 * A session closed for its 10th bad frame is ended (`Session.end`: its rooms are left, it is not resumable), but frames
 * the client sent right behind that 10th one still arrive on the closing socket and are handled as if the session were
 * live: a `room.join_or_create` among them opens a link no one ever closes. The player sits in the room for good (its
 * `onLeave` never runs, its seat is never freed, the room never unloads), long after its socket is gone and the resume
 * window has passed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, waitFor } from "../helpers/server.js";
import { counter, type CounterState } from "./fixtures.js";
import { joinCounter, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

describe("rooms: a join right behind the 10th bad frame", () => {
  it("does not leave the closed session's player seated in the room for good", async () => {
    const server = await startRooms({ counter }, { limits: { resumeWindowMs: 100 } });
    const observer = await joinCounter(server, "r", "dev:observer");

    const mallory = rawClient(server);
    await mallory.handshake({ token: "dev:mallory" });
    // Ten bad frames and a join, in one burst: the 10th closes the socket (4400) and ends the session.
    for (let i = 0; i < 10; i++) mallory.sendRaw("{oops");
    mallory.send("room.join_or_create", { room_type: "counter", room: "r" });
    expect((await mallory.client.closed).code).toBe(4400);

    // Whether or not the join got in, mallory must not be in the room once her socket is closed and her session over
    // (well past resumeWindowMs): the observer sees her out of the players, and room.list counts one client.
    const players = () => Object.keys((observer.mirror.state as CounterState).players);
    let clients: number | undefined;
    const out = (async () => {
      for (;;) {
        const list = await observer.client.request("room.list", { room_type: "counter" });
        clients = (list.rooms as Array<{ room: string; clients: number }>).find((room) => room.room === "r")?.clients;
        if (clients === 1 && !players().includes("mallory")) return;
        // Follow the observer's patches (mallory joining, then perhaps leaving) for at most a short while each.
        const patch = await observer.client.expect("state.patch", () => true, 500).catch(() => undefined);
        if (patch) observer.mirror.apply(patch);
      }
    })();
    await waitFor(out, "mallory to be out of room r (its session was ended for bad frames)", 3000).catch(() => undefined);
    expect({ players: players(), clients }).toEqual({ players: ["observer"], clients: 1 });
  });
});
