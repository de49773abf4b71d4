/**
 * A client of a party the server does not have (a typo, or a party partykit.json does not declare) got a 404
 * `There is no party named "chta"` and had to go and read the config to see what was there. The answer (HTTP and
 * a refused upgrade alike, and a `context.parties` stub's) now names the parties the server has.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, refusedUpgrade, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

class Echo implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest() {
    return new Response(this.room.id);
  }
}

const expected = 'There is no party named "chta"; the parties here are: main, chat';

describe("an unknown party's 404 names the parties there are", () => {
  it("over HTTP and on a refused upgrade", async () => {
    const { url, wsUrl } = await startServer({ main: Echo, chat: Echo });
    const http = await fetch(`${url}/parties/chta/lobby`);
    expect(http.status).toBe(404);
    expect(await http.json()).toEqual({ error: { code: "ERR_UNKNOWN_PARTY", message: expected } });
    const refused = await refusedUpgrade(wsUrl("/parties/chta/lobby"));
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body).error.message).toBe(expected);
  });
});
