/**
 * What a client sent before it left, while its room held its frames (a slicing), is applied once the room can: a
 * paste too big for one frame, which y-partykit's provider sends as a batch of chunks, too.
 */
import { afterEach, expect, it } from "vitest";
import WebSocket from "ws";
import * as Y from "yjs";
import { encodeUpdate, splitIntoChunks } from "../../src/protocol/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { startSlicing } from "../helpers/slicing.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

it("a batch a client sent and then left with, while its room sliced, is applied after the slicing", async () => {
  const t = await startServer({ main: DocumentParty }, { storage: "memory", documentLimits: { structsPerTurn: 4 } });
  const ws = new WebSocket(t.wsUrl("/parties/main/slicing"));
  await waitFor(new Promise((resolve) => ws.once("open", resolve)), "the client to open");
  const { answered } = await startSlicing(t, "slicing", 100_000);

  const paste = new Y.Doc();
  paste.getText("paste").insert(0, "p".repeat(50_000));
  // 50 KB in chunks of 16 KB: a start marker, four chunks, an end marker (held: the room is slicing).
  for (const part of splitIntoChunks(encodeUpdate(Y.encodeStateAsUpdate(paste)), 16_000)) ws.send(part);
  const closed = new Promise((resolve) => ws.once("close", resolve));
  ws.close();
  await waitFor(closed, "the client to leave");
  expect((await answered).status).toBe(200);

  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await (await fetch(`${t.url}/parties/main/slicing?format=update`)).arrayBuffer()));
  expect(doc.getMap("m").size).toBe(100_000);
  // Before: only whole sync messages of a client that left were applied; the batch's parts were dropped.
  expect(doc.getText("paste").length).toBe(50_000);
}, 60_000);
