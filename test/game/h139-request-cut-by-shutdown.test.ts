/**
 * A request under way when the server shuts down gracefully (here a `chat.join` whose `canJoinChannel` has not
 * answered): the server closes the socket (1001) before it answers, and the typed game client rejected the request with
 * "the connection was lost (close 1001)", which read as a network fault. The client reconnects by itself but does not
 * send the request again: the rejection now says the server is shutting down and to send it again once reconnected
 * (rooms/h139-join-cut-by-shutdown for the rooms client).
 */
import { describe, expect, it } from "vitest";
import { connect, GameRequestError, type GameClient } from "../../game-client/index.js";
import { defineMatch } from "../../src/game/index.js";
import { deferred, waitFor } from "../helpers/server.js";
import { trackedClients } from "../helpers/tracked-websocket.js";
import { startGame } from "./helpers.js";

const { WebSocket: TrackedWebSocket, clients } = trackedClients<GameClient>();

describe("a request cut by a shutdown", () => {
  it("is rejected saying the server is shutting down and to send it again once reconnected", async () => {
    const asked = deferred();
    const arena = defineMatch({ tickRate: 10, init: () => ({}) });
    const server = await startGame({
      matches: { arena },
      canJoinChannel: () => {
        asked.resolve();
        return new Promise<boolean>(() => {}); // still undecided as the server stops
      },
      server: { limits: { shutdownTimeoutMs: 1_000 } },
    });
    const client = await connect(server.wsUrl("/ws"), { token: "dev:ada", WebSocket: TrackedWebSocket, backoff: { initialMs: 20, maxMs: 100 } });
    clients.push(client);
    const rejected = client.chat.join("lobby").then(
      () => undefined,
      (error: unknown) => error,
    );
    await asked.promise;
    const stopped = server.stop();
    const error = await waitFor(rejected, "the request's rejection");
    await stopped;
    expect(error).toBeInstanceOf(GameRequestError);
    // Before: "the connection was lost (close 1001)".
    expect((error as Error).message).toMatch(/^the server is shutting down \(close 1001\): send it again once the client is reconnected/);
  });
});
