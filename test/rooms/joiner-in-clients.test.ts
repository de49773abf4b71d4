/**
 * In `onJoin`, the joining player is one of `this.clients` and `this.seated`, as in Colyseus (the client is in
 * `room.clients` while its `onJoin` runs, and taken out again if the join fails): a room that counts its players there
 * (start when full, a turn order) sees the joiner. A join refused by `onJoin` leaves no trace in them.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType, RoomError } from "../../src/rooms/index.js";
import { cleanupAll } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const seen: Array<{ player: string; clients: string[]; seated: string[] }> = [];

const table = defineRoomType<{ full: boolean }>({
  maxClients: 2,
  onCreate() {
    this.state = { full: false };
  },
  onJoin(player) {
    seen.push({ player, clients: [...this.clients], seated: [...this.seated] });
    if (player === "mallory") throw new RoomError("not at this table");
    this.state.full = this.clients.length === 2;
  },
});

describe("rooms: the joining player in onJoin", () => {
  it("is among this.clients and this.seated there, and a refused one is not afterwards", async () => {
    const server = await startRooms({ table });
    const join = async (player: string) => {
      const client = rawClient(server);
      await client.handshake({ token: `dev:${player}` });
      return client.request("room.join_or_create", { room_type: "table", room: "t" });
    };
    expect((await join("ada")).ok).toBe(true);
    expect((await join("mallory")).ok).toBe(false);
    expect((await join("bob")).ok).toBe(true);
    expect(seen).toEqual([
      { player: "ada", clients: ["ada"], seated: ["ada"] },
      { player: "mallory", clients: ["ada", "mallory"], seated: ["ada", "mallory"] },
      { player: "bob", clients: ["ada", "bob"], seated: ["ada", "bob"] },
    ]);
  });
});
