/**
 * A party's promise that rejects with nothing to handle it (a call not awaited) is logged, and the server keeps serving
 * every room: by default Node 20 ends the process on it, and every other room with it.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, expect, it } from "vitest";
import { deferredCleanups, serveIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

const careless = `
export default class Careless {
  constructor(room) { this.room = room; }
  async onRequest(req) {
    if (new URL(req.url).searchParams.has("forget")) void Promise.reject(new Error("a call nobody awaited failed"));
    return new Response("alive " + this.room.id);
  }
}
`;

it("logs an unhandled rejection at error level and goes on serving", async () => {
  const { dir, remove } = await tempDir("yparty-unhandled-");
  defer(remove);
  await writeFile(path.join(dir, "server.js"), careless);
  const { cli, url } = await serveIn(defer, "start", dir, ["server.js", "--no-persist"]);
  expect((await fetch(`${url}/parties/main/a?forget`)).status).toBe(200);
  await cli.waitFor(/"event":"process\.unhandled_rejection".*a call nobody awaited failed/, 10_000);
  // Before: the process had exited (code 1) and this request failed to connect.
  expect(await (await fetch(`${url}/parties/main/b`)).text()).toBe("alive b");
  expect(cli.child.exitCode).toBe(null);
});
