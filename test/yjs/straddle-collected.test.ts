/**
 * An item that starts in clocks the room has of its client and ends after them, when the room holds those clocks
 * collected (a GC struct: anyone may send one, for any client's clocks the room has not seen). Yjs keeps the new
 * tail and links it after the collected unit before it; unless the item is collected itself (its origin, right
 * origin or parent is), it then reads the GC's neighbours, which a GC has not, and throws half-way through the
 * update: what the update held before that item is in, its sender's frame is refused.
 * Found by `npm run soak:order -- --only proved --seeds 1` (case 3530: a typist's mutant that waited, with a GC
 * for the typist's next clocks, let in by the typist's next update; the typist's update after that made Yjs throw).
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { decodeMessage, encodeUpdate } from "../../src/protocol/index.js";
import { MAX_TYPE_DEPTH, MAX_UPDATE_STRUCTS, STRUCTS_PER_TURN } from "../../src/yjs/defaults.js";
import { applyBurst } from "../../src/yjs/burst.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { validatePartsAgainst, validateUpdate } from "../../src/yjs/validate.js";
import { cleanupAll, connect, startServer, type TestServer } from "../helpers/server.js";
import { encodeStructs } from "./support/struct-codec.js";

afterEach(cleanupAll);

const ROOM = "/parties/main/collected";
const TYPIST = 1;
const limits = { maxStructs: MAX_UPDATE_STRUCTS, structsPerTurn: STRUCTS_PER_TURN, maxTypeDepth: MAX_TYPE_DEPTH };

/** A typist's two updates: "ab", then "cde" typed in one transaction (one item, clocks 2 to 4). */
function typistUpdates(): { first: Uint8Array; second: Uint8Array; doc: Y.Doc } {
  const doc = new Y.Doc();
  doc.clientID = TYPIST;
  const sent: Uint8Array[] = [];
  doc.on("update", (update: Uint8Array) => sent.push(update));
  doc.getText("text").insert(0, "ab");
  doc.getText("text").insert(2, "cde");
  return { first: sent[0]!, second: sent[1]!, doc };
}

/** The typist's clocks 2 and 3, claimed collected. */
const forgedGc = (): Uint8Array => encodeStructs({ sections: [{ client: TYPIST, clock: 2, structs: [{ kind: "gc", length: 2 }] }], deletes: [] });

async function post(server: TestServer, update: Uint8Array): Promise<number> {
  const res = await fetch(server.url + ROOM, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: update as Uint8Array<ArrayBuffer>,
  });
  await res.arrayBuffer();
  return res.status;
}

async function roomState(server: TestServer): Promise<Y.Doc> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, new Uint8Array(await (await fetch(`${server.url}${ROOM}?format=update`)).arrayBuffer()));
  return doc;
}

describe("an item that continues clocks the room holds collected", () => {
  it.each([false, true])("is refused by the checks before anything of it is applied (gc %s), never thrown on by Yjs", (gc) => {
    const { first, second } = typistUpdates();
    const room = new Y.Doc({ gc });
    for (const update of [first, forgedGc()]) expect(applyBurst(room, [update], "test", limits, () => {}).refusal).toBeUndefined();
    validateUpdate(second);
    expect(() => validatePartsAgainst(room, second)).toThrow(/collected/);
    const outcome = applyBurst(room, [second], "test", limits, () => {});
    expect(outcome.refusal?.message).not.toMatch(/Yjs refused/);
    expect(outcome.refusal?.message).toMatch(/collected/);
    expect(room.getText("text").toString()).toBe("ab");
  });

  it("is taken when Yjs collects it: its origin is collected too", () => {
    const { second } = typistUpdates();
    const room = new Y.Doc({ gc: false });
    // The room has the typist's first clock, then clocks 1 to 3 collected: the origin of "cde" (clock 1) too
    const head = encodeStructs({
      sections: [
        {
          client: TYPIST,
          clock: 0,
          structs: [{ kind: "item", origin: null, rightOrigin: null, parent: "text", parentSub: null, content: new Y.ContentString("a") }],
        },
      ],
      deletes: [],
    });
    const collected = encodeStructs({ sections: [{ client: TYPIST, clock: 1, structs: [{ kind: "gc", length: 3 }] }], deletes: [] });
    for (const update of [head, collected]) expect(applyBurst(room, [update], "test", limits, () => {}).refusal).toBeUndefined();
    expect(applyBurst(room, [second], "test", limits, () => {}).refusal).toBeUndefined();
    expect(Y.getState(room.store, TYPIST)).toBe(5);
    expect(room.getText("text").toString()).toBe("a");
  });

  it("on a real server: the frame is refused whole, nothing of it reaches the document, its peers or the store", async () => {
    const server = await startServer({ main: DocumentParty });
    const { first, second, doc: typistDoc } = typistUpdates();
    expect(await post(server, first)).toBe(200);
    expect(await post(server, forgedGc())).toBe(200);
    // The typist's merged resend: another client's map set (integrated first: its client is higher) and "cde"
    const other = new Y.Doc();
    other.clientID = 2;
    Y.applyUpdate(other, Y.encodeStateAsUpdate(typistDoc));
    other.getMap("m").set("k", "set by client 2");
    const merged = Y.mergeUpdates([second, Y.encodeStateAsUpdate(other, Y.encodeStateVector(typistDoc))]);
    const watcher = connect(server.wsUrl(ROOM));
    await watcher.opened;
    await watcher.next();
    const seen = watcher.messages.length;
    const typist = connect(server.wsUrl(ROOM));
    await typist.opened;
    typist.send(encodeUpdate(merged));
    const closed = await typist.closed;
    expect(closed.code).toBe(1007);
    const state = await roomState(server);
    const sent = watcher.messages.slice(seen).filter((frame) => typeof frame !== "string" && decodeMessage(frame).type === "update").length;
    const restarted = await server.restart();
    const reloaded = await roomState(restarted);
    // Before: client 2's set was in (live, sent to the watcher, stored), the rest of the frame not
    expect({ live: state.getMap("m").toJSON(), stored: reloaded.getMap("m").toJSON(), sent }).toEqual({ live: {}, stored: {}, sent: 0 });
    expect(state.getText("text").toString()).toBe("ab");
    // Refused by the checks, not by Yjs throwing half-way
    expect(closed.reason).not.toMatch(/Yjs refused|Cannot read/);
    expect(closed.reason).toMatch(/collected/);
  });
});
