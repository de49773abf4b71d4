/**
 * A party in PartyKit's legacy object form (`export default { onMessage, … }`) with an `options` field: the runtime
 * never read it (only a class server's `options`), so yparty's own options there did nothing: binary frames still
 * came as ArrayBuffer under `binaryMessages: "uint8array"`, and a throwing onMessage left its connection open under
 * `closeOnMessageError: true`. PartyKit reads no options of the legacy form (`hibernate`, which means nothing on yparty
 * either, included); yparty now reads them as a class's.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, serveIn } from "./helpers.js";
import { connectText, within, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

const party = `
export default {
  options: { hibernate: true, binaryMessages: "uint8array", closeOnMessageError: true },
  onMessage(message, connection, room) {
    if (message === "throw") throw new Error("this message cannot be handled");
    connection.send(typeof message === "string" ? message : Object.prototype.toString.call(message) + " " + message.byteLength);
  },
  onError(connection, error, room) {
    console.log("onError in " + room.id + ": " + error.message);
  },
};
`;

describe("options of a legacy object party", () => {
  it("binaryMessages and closeOnMessageError apply as to a class server", async () => {
    const dir = await projectWith(defer, { "partykit.json": JSON.stringify({ name: "legacy", main: "server.js" }), "server.js": party });
    const { cli, url } = await serveIn(defer, "dev", dir, ["--no-persist"]);
    const client = connectText(defer, wsUrl(url, "/party/r"));
    await client.opened;

    client.socket.send(new Uint8Array([1, 2, 3]));
    expect(await client.next((m) => m.startsWith("[object"))).toBe("[object Uint8Array] 3");

    client.socket.send("throw");
    expect((await within(client.closed, 10_000, "the close after a failed message")).code).toBe(1011);
    await cli.waitFor(/onError in r: this message cannot be handled/);
  });
});
