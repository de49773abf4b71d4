/**
 * A client that sends a change and closes at once, before its room has loaded, must not lose the change:
 * fresh rooms whose load waits until every client has left, one raw y-protocols client each that sends an
 * update and closes in the same tick; then a reader finds every change, and so does a restart.
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { encodeUpdate } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, deferred, startServer, waitFor } from "../helpers/server.js";
import { destroyProviders, makeProvider, until, whenSynced } from "./support/providers.js";

const ROOMS = 12;

afterEach(async () => {
  destroyProviders();
  await cleanupAll();
});

/** Opens a socket, sends one update and closes right away; resolves once the socket is closed. */
function sendAndLeave(url: string, text: string): Promise<void> {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  const update = encodeUpdate(Y.encodeStateAsUpdate(doc));
  const ws = new WebSocket(url);
  ws.on("open", () => {
    ws.send(update);
    ws.close();
  });
  return waitFor(new Promise<void>((resolve) => ws.on("close", () => resolve())), `close of ${url}`);
}

describe("a client that leaves before its room loaded", () => {
  it(`keeps the change it sent, in ${ROOMS} fresh rooms, across a restart`, async () => {
    const everyoneLeft = deferred();
    class SlowToLoad extends DocumentParty {
      override async onLoad() {
        await everyoneLeft.promise;
      }
    }
    const server = await startServer({ main: SlowToLoad });
    const wsBase = server.url.replace(/^http/, "ws");
    await Promise.all(Array.from({ length: ROOMS }, (_, i) => sendAndLeave(`${wsBase}/parties/main/early-${i}`, `kept ${i}`)));
    everyoneLeft.resolve();

    const read = async (base: string) => {
      for (let i = 0; i < ROOMS; i++) {
        const doc = new Y.Doc();
        const provider = makeProvider("y-websocket", base, "main", `early-${i}`, doc);
        await whenSynced(provider);
        await until(doc, (d) => d.getText("t").toString() === `kept ${i}`, `room early-${i} to hold its change`);
        provider.destroy();
      }
    };
    await read(server.url);
    const restarted = await server.restart();
    await read(restarted.url);
    expect(restarted.logs.filter((entry) => entry.level === "error")).toEqual([]);
  });
});
