/**
 * The typed client loses its socket with the answer to its `match.join` (the session joined; the answer had no
 * socket to go to): `match.join()` rejects as disconnected and the client comes back with `matchId` unset, but the
 * session kept the seat (reconnectWindowMs). The player sat in a match the client did not know (its `match.state`
 * events kept coming), and the app's next `match.join` of another match was refused "in match … already". The
 * session now says which match it is in (`session.connected {player_id, match_id?}`), and the client leaves one it
 * does not know.
 */
import { describe, expect, it } from "vitest";
import { connect, type GameClient } from "../../game-client/index.js";
import example from "../../examples/game/game.js";
import { waitFor } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { startGame } from "./helpers.js";

const { WebSocket: TrackedWebSocket, sockets, clients } = trackedClients<GameClient>();

describe("game-client: a match.join whose answer the lost socket took", () => {
  it("the client leaves the match it does not know; the app joins another", async () => {
    const server = await startGame(example);
    const ada = await connect(server.wsUrl("/ws"), { token: "dev:ada", WebSocket: TrackedWebSocket, backoff: { initialMs: 10, maxMs: 20 } });
    clients.push(ada);
    // The network goes as the answer comes: the client never reads it.
    const socket = sockets[0]!;
    const read = socket.onmessage!;
    socket.onmessage = (event) => {
      if (String(event.data).includes('"type":"match.join"')) return void socket.terminate();
      read.call(socket, event);
    };
    const reopened = new Promise<void>((resolve) => ada.on("status", ({ status }) => status === "open" && resolve()));
    await expect(ada.match.join("lost.arena")).rejects.toMatchObject({ kind: "disconnected" });
    await waitFor(reopened, "ada's client back");
    expect(ada.matchId).toBeUndefined();

    expect(await ada.match.join("next.arena")).toEqual({ match_id: "next.arena" });
    expect(ada.matchId).toBe("next.arena"); // (the session is in one match at a time: it left lost.arena)
  });
});
