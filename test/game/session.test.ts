/** The game socket's session: connect first, heartbeat, timeout, takeover, bad input. */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch } from "../../src/game/index.js";
import { gameClient, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

describe("game session", () => {
  it("session.connect answers session.connected {player_id} with the cid; a heartbeat is answered", async () => {
    const server = await startGame({ matches: { plain } });
    const client = gameClient(server);
    const answer = await client.request("session.connect", { token: "dev:ada" });
    expect(answer).toEqual({ cid: answer.cid, type: "session.connected", payload: { player_id: "ada" } });
    const pong = await client.request("session.heartbeat");
    expect(pong.type).toBe("session.heartbeat");
  });
});
