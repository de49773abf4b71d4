/**
 * With the settings a server has by default, no update the room takes makes it differ from a reload of itself:
 * hand-built forged inserts (neighbours named far apart, several clients at one place, references through other
 * clients) are refused when their sender knew items between the neighbours it names, taken when it could not have,
 * and after each one taken the room's lists equal those of a reload of its encoding, unit by unit.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { readUpdateShape } from "../../src/protocol/update-format.js";
import { resolveYjsLimits } from "../../src/yjs/defaults.js";
import { YDocumentView } from "../../src/yjs/document-view.js";
import type { DocumentSession } from "../../src/yjs/session.js";
import { reloadDiffers } from "./support/reload-compare.js";
import { capturingLogger, openSession, stopAll } from "./support/sessions.js";
import { encodeStructs, type RawId } from "./support/struct-codec.js";
import { seededRandom } from "./support/trace.js";

afterEach(stopAll);

const FORGED = /names neighbours its sender knew were apart/;

/** An insert of `text` by `client` at `clock`, between the neighbours it names, into the root text. */
function insert(client: number, clock: number, origin: RawId | null, rightOrigin: RawId | null, text = "x"): Uint8Array {
  return encodeStructs({
    sections: [
      {
        client,
        clock,
        structs: [{ kind: "item", origin, rightOrigin, parent: origin || rightOrigin ? null : "text", parentSub: null, content: new Y.ContentString(text) }],
      },
    ],
    deletes: [],
  });
}

const id = (client: number, clock: number): RawId => ({ client, clock });

/** A room holding "abcd", typed by client 7 (clocks 0–3). */
async function abcd(gc = true): Promise<DocumentSession> {
  const session = await openSession({ room: `order-${Math.random()}`, gc });
  const author = new Y.Doc();
  author.clientID = 7;
  author.getText("text").insert(0, "abcd");
  await session.applyUpdate(Y.encodeStateAsUpdate(author));
  return session;
}

/** Applies `update`: whether the room took it; a refusal must say why. After each, the room must equal its reload. */
async function offer(session: DocumentSession, update: Uint8Array): Promise<boolean | string> {
  let taken: boolean | string = true;
  try {
    await session.applyUpdate(update);
  } catch (error) {
    taken = (error as Error).message;
  }
  expect(reloadDiffers(session.doc)).toBeUndefined();
  return taken;
}

const text = (session: DocumentSession) => session.doc.getText("text").toString();

describe("forged inserts into 'abcd'", () => {
  it("between 'b' and 'd' (its sender knew 'c'): refused; after 'c' with 'd' unseen: taken, after 'd'", async () => {
    const session = await abcd();
    expect(await offer(session, insert(10, 0, id(7, 1), id(7, 3)))).toMatch(FORGED);
    expect(text(session)).toBe("abcd");
    expect(await offer(session, insert(11, 0, id(7, 2), null))).toBe(true);
    expect(text(session)).toBe("abcdx");
  });

  it("several clients at one place, concurrently: all taken, in one order everywhere; forged ones among them refused", async () => {
    const session = await abcd();
    // Three editors that had "abcd", typing between "b" and "c"
    for (const client of [30, 20, 25]) expect(await offer(session, insert(client, 0, id(7, 1), id(7, 2), String(client)))).toBe(true);
    expect(text(session)).toBe("ab202530cd");
    // Editor 20 types on after its own "20", not having seen 25's or 30's: concurrent with them, taken
    expect(await offer(session, insert(20, 2, id(20, 1), id(7, 2), "!"))).toBe(true);
    // Between "a" and "c": its sender knew "b" (client 7's clock 1, before "c")
    expect(await offer(session, insert(40, 0, id(7, 0), id(7, 2)))).toMatch(FORGED);
    // Editor 25, between "b" and "c" again: its own "25" lies between them
    expect(await offer(session, insert(25, 2, id(7, 1), id(7, 2)))).toMatch(FORGED);
    // After editor 20's "20" up to "d": "c" lies between, and whoever names "d" knew "c"
    expect(await offer(session, insert(41, 0, id(20, 1), id(7, 3)))).toMatch(FORGED);
    expect(text(session)).toBe(text(session)); // unchanged by the refusals, and equal to its reload (offer)
  });

  it("a sender who knew an item through another client's insert: refused", async () => {
    const session = await abcd();
    // Editor 50 saw 30's insert between "b" and "c", and typed after "d"
    expect(await offer(session, insert(30, 0, id(7, 1), id(7, 2), "3"))).toBe(true);
    expect(await offer(session, insert(50, 0, id(7, 3), null, "5"))).toBe(true);
    const seen = encodeStructs({
      sections: [
        {
          client: 50,
          clock: 1,
          structs: [{ kind: "item", origin: id(30, 0), rightOrigin: id(7, 2), parent: null, parentSub: null, content: new Y.ContentString("y") }],
        },
      ],
      deletes: [],
    });
    expect(await offer(session, seen)).toBe(true); // between 30's "3" and "c": next to each other
    // Editor 60 names "b" and editor 50's "y": it knew "y", whose sender had seen "3", which lies between them
    expect(await offer(session, insert(60, 0, id(7, 1), id(50, 1)))).toMatch(FORGED);
    expect(text(session)).toBe("ab3ycd5");
  });

  it("behind an item the walk cannot place (client lists out of Yjs's order): refused on the copy too", async () => {
    const session = await abcd();
    const item = (origin: RawId, rightOrigin: RawId, text: string) =>
      ({ kind: "item", origin, rightOrigin, parent: null, parentSub: null, content: new Y.ContentString(text) }) as const;
    // Client 5's list first: the walk places nothing of the update and leaves it to the copy check, where client 10's
    // insert between "b" and "d" (its sender knew "c") was taken, a reload agreeing: then the second forged insert of
    // the pair (after "c" as if it ended the text) made the room differ from its reload
    const behind = encodeStructs({
      sections: [
        { client: 5, clock: 0, structs: [item(id(7, 0), id(7, 1), "5")] },
        { client: 10, clock: 0, structs: [item(id(7, 1), id(7, 3), "x")] },
      ],
      deletes: [],
    });
    expect(await offer(session, behind)).toMatch(FORGED);
    expect(await offer(session, insert(11, 0, id(7, 2), null, "y"))).toBe(true);
    expect(text(session)).toBe("abcdy");
  });

  it("inserts at a list's start and into a map entry, concurrently: taken, and the same after a reload", async () => {
    const session = await abcd(false);
    for (const client of [12, 11]) expect(await offer(session, insert(client, 0, null, id(7, 0), String(client)))).toBe(true);
    expect(text(session)).toBe("1112abcd");
    for (const client of [13, 9, 14]) {
      const set = encodeStructs({
        sections: [
          { client, clock: 0, structs: [{ kind: "item", origin: null, rightOrigin: null, parent: "m", parentSub: "k", content: new Y.ContentAny([client]) }] },
        ],
        deletes: [],
      });
      expect(await offer(session, set)).toBe(true);
    }
    expect(session.doc.getMap("m").get("k")).toBe(14);
  });
});

describe("items that name neighbours their own client knew were apart, in a nested type (Yjs's UndoManager redoing)", () => {
  const COPY_REFUSES = /a reload of the document would place elsewhere/;

  /** An insert into the nested text `m.t` (whose type is client 7's clock 0). */
  function nestedInsert(client: number, clock: number, origin: RawId | null, rightOrigin: RawId | null, text: string): Uint8Array {
    return encodeStructs({
      sections: [
        {
          client,
          clock,
          structs: [
            { kind: "item", origin, rightOrigin, parent: origin || rightOrigin ? null : id(7, 0), parentSub: null, content: new Y.ContentString(text) },
          ],
        },
      ],
      deletes: [],
    });
  }

  /** A room whose map `m` holds at `t` the text "abcde": "abd" by client 7 (clocks 1–3), "c" by 10, "e" by 9. */
  async function nestedAbcde(room: string): Promise<DocumentSession> {
    const session = await openSession({ room, gc: true });
    const a = new Y.Doc();
    a.clientID = 7;
    const t = new Y.Text();
    a.getMap("m").set("t", t);
    t.insert(0, "abd");
    const b = new Y.Doc();
    b.clientID = 10;
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    (b.getMap("m").get("t") as Y.Text).insert(2, "c");
    b.clientID = 9;
    (b.getMap("m").get("t") as Y.Text).insert(4, "e");
    await session.applyUpdate(Y.encodeStateAsUpdate(b));
    return session;
  }

  const nested = (session: DocumentSession) => (session.doc.getMap("m").get("t") as Y.Text).toString();
  /** Whether the walk leaves `update` to the copy check. */
  const leftToCopy = (session: DocumentSession, update: Uint8Array) => {
    const shape = readUpdateShape(update, new YDocumentView(session.doc, update));
    return typeof shape !== "string" && shape.scattered > 0;
  };

  for (const reload of [false, true]) {
    it(`one is taken when a reload agrees; a later insert into its list that had not seen it goes to the copy check${reload ? ", also after a reload of the room" : ""}`, async () => {
      let session = await nestedAbcde(`order-span-${reload}`);
      // Client 10 names the list's start and "d": its own "c" lies between (as a redo names a restored copy's neighbours)
      expect(await offer(session, nestedInsert(10, 1, null, id(7, 3), "X"))).toBe(true);
      expect(nested(session)).toBe("abcXde");
      if (reload) {
        // A reload forgets what the walk learnt: the span is found again in the document
        const state = Y.encodeStateAsUpdate(session.doc);
        session = await openSession({ room: "order-span-reloaded", gc: true, load: async () => state });
      }
      // After "b" as if "b" ended the text, not having seen "X": alone, an insert concurrent with what follows "b". With
      // "X" in the list a reload would integrate it first and move "X": the walk took it, the room diverged
      const unseen = nestedInsert(11, 0, id(7, 2), null, "Y");
      expect(leftToCopy(session, unseen)).toBe(true);
      expect(await offer(session, unseen)).toMatch(COPY_REFUSES);
      // Inserts that had seen "X" (it is in their causal past) are placed by the walk: every order of arrival
      // integrates "X" before them
      for (const seen of [nestedInsert(12, 0, id(10, 1), id(7, 3), "Z"), nestedInsert(10, 2, id(7, 3), id(9, 0), "W")]) {
        expect(leftToCopy(session, seen)).toBe(false);
        expect(await offer(session, seen)).toBe(true);
      }
      expect(nested(session)).toBe("abcXZdWe");
    });
  }

  it("the same item in a root type is refused: no redo names such neighbours there", async () => {
    const session = await abcd();
    expect(await offer(session, insert(7, 4, null, id(7, 3)))).toMatch(FORGED);
    expect(text(session)).toBe("abcd");
  });
});

describe("what the walk cannot follow goes to the copy check, up to documentLimits.reloadOrderCheckBytes", () => {
  /** One editor's state holding two clients' text, client 20's typed after client 10's: Yjs integrates 10 first. */
  function merged(): Uint8Array {
    const editor = new Y.Doc();
    editor.clientID = 10;
    editor.getText("text").insert(0, "abc");
    editor.clientID = 20; // as Yjs does when it finds its id taken
    editor.getText("text").insert(3, "def");
    return Y.encodeStateAsUpdate(editor);
  }

  it("by default a small room checks it on a copy and takes it; past the limit (0: always) it is taken unchecked, with a warning", async () => {
    const { logger, entries } = capturingLogger();
    const room = await openSession({ room: "order-copy", gc: true, logger });
    expect(await offer(room, merged())).toBe(true);
    expect(text(room)).toBe("abcdef");
    expect(entries.filter((entry) => entry.event === "yjs.order_unchecked")).toEqual([]);
    // Refusing would lose an honest client's edits (it would send them again on every reconnect): it is taken.
    const unchecked = capturingLogger();
    const large = await openSession({ room: "order-no-copy", gc: true, logger: unchecked.logger, limits: resolveYjsLimits({ reloadOrderCheckBytes: 0 }) });
    expect(await offer(large, merged())).toBe(true);
    expect(text(large)).toBe("abcdef");
    const warning = unchecked.entries.find((entry) => entry.event === "yjs.order_unchecked");
    expect(warning).toMatchObject({ room: "order-no-copy", message: expect.stringMatching(/taken unchecked: the document is over the 0 bytes it copies/) });
  });
});

describe("an item among old ones", () => {
  it("after more transactions than the room notes arrivals of: a concurrent insert is still taken, a forged one refused", async () => {
    const session = await openSession({ room: "order-old", gc: true });
    const author = new Y.Doc();
    author.clientID = 7;
    author.getText("text").insert(0, "ab");
    await session.applyUpdate(Y.encodeStateAsUpdate(author));
    expect(await offer(session, insert(8, 0, id(7, 0), id(7, 1), "Z"))).toBe(true);
    // 40 000 transactions since (the arrival table keeps ~32 768): "Z" counts as old as "ab"
    const typist = new Y.Doc();
    typist.clientID = 9;
    Y.applyUpdate(typist, Y.encodeStateAsUpdate(session.doc));
    typist.on("update", (update: Uint8Array) => void session.applyUpdate(update));
    for (let i = 0; i < 40_000; i++) typist.getText("text").insert(typist.getText("text").length, ".");
    await session.whenDurable();
    // An editor that had only "ab": "Z" was concurrent to it
    expect(await offer(session, insert(20, 0, id(7, 0), id(7, 1), "Y"))).toBe(true);
    // Client 21 typed after "Z", then claims "a" and "b" were next to each other
    expect(await offer(session, insert(21, 0, id(8, 0), id(7, 1), "1"))).toBe(true);
    expect(await offer(session, insert(21, 1, id(7, 0), id(7, 1), "2"))).toMatch(FORGED);
    expect(text(session).slice(0, 5)).toBe("aZ1Yb"); // siblings by client: 8 (and what follows it) before 20
  });
});

describe("random forged inserts, by the default settings", () => {
  it("every one the room takes leaves it equal to its reload; forged ones are refused, concurrent ones taken", async () => {
    const random = seededRandom(20261202);
    const counts = { taken: 0, forged: 0, other: 0 };
    for (const gc of [true, false]) {
      const session = await abcd(gc);
      const clocks = new Map<number, number>();
      for (let i = 0; i < 400; i++) {
        // Neighbours drawn from every unit the room has, or the list's edges; a sender new or one that wrote before
        const units = [...session.doc.store.clients].flatMap(([client, structs]) => {
          const end = structs[structs.length - 1]!;
          return Array.from({ length: end.id.clock + end.length }, (_, clock) => id(client, clock));
        });
        const pick = () => (random() < 0.15 ? null : units[Math.floor(random() * units.length)]!);
        const client = 100 + Math.floor(random() * 12);
        const clock = clocks.get(client) ?? 0;
        const origin = pick();
        const taken = await offer(session, insert(client, clock, origin, pick(), "xy".slice(0, 1 + Math.floor(random() * 2))));
        if (taken === true) {
          counts.taken++;
          clocks.set(client, Y.getState(session.doc.store, client));
        } else if (FORGED.test(String(taken))) counts.forged++;
        else counts.other++;
      }
    }
    expect(counts.taken).toBeGreaterThan(50);
    expect(counts.forged).toBeGreaterThan(50);
  });
});
