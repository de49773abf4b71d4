/**
 * A `cid` that is not a string (a client counting its requests, `"cid": 7`) is refused, as before, but its `error` now
 * echoes the cid as given (a number): before, the error carried no cid, so the client could not tie it to its request
 * and waited for its timeout. Nakama's cid is a string too; the reason says so.
 */
import { afterEach, expect, it } from "vitest";
import { cleanupAll } from "../helpers/server.js";
import { defineMatch, GameErrorCode } from "../../src/game/index.js";
import { type GameClient, gameClient, players, startGame } from "./helpers.js";

afterEach(cleanupAll);

const plain = defineMatch({ tickRate: 20, init: () => ({}) });

function sendRaw(client: GameClient, frame: unknown): void {
  client.client.send(JSON.stringify(frame));
}

it("a numeric cid is refused with an error that echoes it, before session.connect and after", async () => {
  const server = await startGame({ matches: { plain } });
  const early = gameClient(server);
  await early.client.opened;
  sendRaw(early, { cid: 7, type: "session.connect", payload: { token: "dev:ada" } });
  expect((await early.until("the error for cid 7", (m) => m.cid === (7 as never))).payload).toEqual({
    code: GameErrorCode.BadInput,
    reason: 'cid must be a string (e.g. "7", not 7): got number',
  });
  await early.connect("ada"); // the socket stays usable

  const [bob] = await players(server, "bob");
  sendRaw(bob!, { cid: 8, type: "session.heartbeat", payload: {} });
  expect((await bob!.until("the error for cid 8", (m) => m.cid === (8 as never))).type).toBe("error");
  // A frame refused for its shape echoes a numeric cid too.
  sendRaw(bob!, { cid: 9, type: "presence.update", payload: JSON.parse('{"status": "x", "__proto__": {}}') });
  expect((await bob!.until("the error for cid 9", (m) => m.cid === (9 as never))).payload).toMatchObject({ reason: expect.stringContaining("__proto__") });
  // Not a string or a number: named, not echoed.
  sendRaw(bob!, { cid: { n: 1 }, type: "session.heartbeat", payload: {} });
  const named = await bob!.expect("error", (p) => String(p.reason).startsWith("cid must be a string"));
  expect(named).not.toHaveProperty("cid");
  expect(named.payload.reason).toContain("got object");
});
