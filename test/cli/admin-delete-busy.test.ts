/** The admin DELETE of a room that is busy without connections (a request running): a 409 that says so. */
import { afterEach, expect, it } from "vitest";
import { adminHandler } from "../../src/cli/admin/handler.js";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

it("a room busy with a request (no connection) is refused 'busy, try again', not 'in use (0 connections)'", async () => {
  const release = deferred<void>();
  const arrived = deferred<void>();
  class Slow implements Party.Server {
    constructor(readonly room: Party.Room) {}
    async onRequest(): Promise<Response> {
      arrived.resolve();
      await release.promise;
      return new Response("done");
    }
  }
  const admin = adminHandler({ token: "t", updateToJson: () => ({}) });
  const server = await startServer({ main: Slow }, { storage: "memory", routes: [admin.route as never] });
  const slow = fetch(`${server.url}/parties/main/r`);
  await waitFor(arrived.promise, "the request to reach the room");
  const refused = await fetch(`${server.url}/_yparty/rooms/main/r`, { method: "DELETE", headers: { authorization: "Bearer t" } });
  expect(refused.status).toBe(409);
  // Before: "main/r is in use (0 connections); delete it once everyone has left" (nobody was there to leave).
  expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
    "main/r is busy (a request or its alarm is running); try again in a moment",
  );
  release.resolve();
  expect(await (await slow).text()).toBe("done");
});
