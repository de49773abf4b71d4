/**
 * A join under way when the server shuts down gracefully: the server closes the client's socket (1001) before its
 * rooms, so no answer reaches the client, and the typed client rejected the join with "the connection was lost (close
 * 1001)", which read as a network fault. The client reconnects by itself but does not send the join again: the
 * rejection now says the server is shutting down and to join again once reconnected.
 */
import { afterEach, describe, expect, it } from "vitest";
import { connect, RoomsRequestError, type RoomsClient } from "../../rooms-client/index.js";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, waitFor } from "../helpers/server.js";
import { trackedSockets } from "../helpers/tracked-websocket.js";
import { startRooms } from "./helpers.js";

const opened: RoomsClient[] = [];
afterEach(async () => {
  for (const client of opened.splice(0)) client.close();
  await cleanupAll();
});

describe("a join cut by a shutdown", () => {
  for (const reconnect of [true, false]) {
    it(`is rejected saying the server is shutting down and what to do (reconnect: ${reconnect})`, async () => {
      const inJoin = deferred();
      const hall = defineRoomType({
        onCreate() {
          this.state = {};
        },
        async onJoin() {
          inJoin.resolve();
          await new Promise<void>(() => {}); // still running as the server stops
        },
      });
      const server = await startRooms({ hall }, { server: { limits: { shutdownTimeoutMs: 1_000 } } });
      const client = await connect(server.wsUrl("/rooms"), { token: "dev:ada", codecs: ["json"], WebSocket: trackedSockets().WebSocket, reconnect });
      opened.push(client);
      const joining = client.joinOrCreate("hall", { room: "h" });
      const rejected = joining.then(
        () => undefined,
        (error: unknown) => error,
      );
      await inJoin.promise;
      const stopped = server.stop();
      const error = await waitFor(rejected, "the join's rejection");
      await stopped;
      expect(error).toBeInstanceOf(RoomsRequestError);
      // Before: "the connection was lost (close 1001)".
      expect((error as Error).message).toMatch(/^the server is shutting down \(close 1001\): /);
      expect((error as Error).message).toMatch(reconnect ? /send it again once the client is reconnected/ : /connect again later/);
    });
  }
});
