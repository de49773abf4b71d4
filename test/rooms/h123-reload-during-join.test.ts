/**
 * A reload of the server's code (`yparty dev`'s rebuild; here `server.reload` with a new `createRooms`, the sessions
 * kept) cuts every room connection with 1012, and a session joins its rooms again by itself. A second reload while that
 * rejoin was on its way (two saves in a row) put the player out of its room for good: `error {closed: true}`, "could
 * not be joined (1012 Server code reloaded)". The player is still in the room (its seat kept at the stop): the session
 * joins back in the room's next instance, as after the first reload.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, MatchmakingState, RoomsSessions } from "../../src/rooms/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { rawClient } from "./helpers.js";

afterEach(cleanupAll);

describe("a reload while a session joins back after the one before", () => {
  it("a second reload during the rejoin of the first: the session is still in its room", async () => {
    const [matchmaking, sessions] = [new MatchmakingState(), new RoomsSessions()];
    const hall = defineRoomType({
      onInput({ type, data }) {
        if (type === "say") this.broadcast("said", data);
      },
    });
    const mount = () => createRooms({ types: { hall }, matchmaking, sessions });
    const first = mount();
    const server = await startServer(first.parties, { storage: "memory", sockets: first.sockets });
    const ada = rawClient(server);
    await ada.handshake({ token: "dev:ada" });
    await ada.request("room.join_or_create", { room_type: "hall", room: "h" });
    await ada.expect("state.snapshot");

    for (let reload = 0; reload < 2; reload++) {
      const next = mount();
      next.serve();
      await server.server.reload(next.parties); // the second comes before the first's rejoin is done
    }
    await ada.expect("state.snapshot"); // back in the room
    ada.send("room.message", { room: "h", type: "say", data: { n: 1 } });
    await ada.expect("room.message", (p) => p.data?.n === 1);
    expect(ada.received.filter((envelope) => envelope.t === "error")).toEqual([]);
    const { rooms } = await ada.request("room.list", { room_type: "hall" });
    expect(rooms).toMatchObject([{ room: "h", clients: 1 }]);
  });
});
