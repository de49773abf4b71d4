/**
 * A broadcast started inside another one (an in-process connection's `onMessage` runs synchronously within the room's
 * send, and its frame back reaches the room's `onMessage`, which broadcasts again): each client gets each payload whole,
 * text as text and binary as binary, the outer broadcast's frame before and after the inner one alike
 * (direct-frame.ts `sendingToMany` gives the outer broadcast its own frame back).
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import type { LocalConnection, SocketHandler } from "../../src/runtime/index.js";
import { cleanupAll, connect, pollUntil, startServer, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

const OUTER = Uint8Array.from({ length: 400 }, (_, i) => (i * 13) & 0xff);
const INNER = "inner ✓ broadcast";

/** "go" broadcasts OUTER; "nested" (from the in-process connection) broadcasts INNER, binary or text as asked. */
class Nester implements Party.Server {
  static readonly joined: string[] = [];
  static innerBinary = false;
  constructor(readonly room: Party.Room) {}
  onConnect(connection: Party.Connection) {
    Nester.joined.push(connection.id);
  }
  onMessage(message: string | ArrayBuffer | ArrayBufferView) {
    if (message === "go") this.room.broadcast(OUTER);
    if (message === "nested") this.room.broadcast(Nester.innerBinary ? new TextEncoder().encode(INNER) : INNER);
  }
}

/** A mounted socket whose one job is an in-process connection "local" to the room that answers OUTER with "nested". */
const mount: SocketHandler = (_ws, _request, host) => {
  let local: LocalConnection | undefined;
  local = host.connect("main", "nest", "local", {
    onMessage: (frame) => {
      if (typeof frame !== "string" && frame.byteLength === OUTER.byteLength) local!.send("nested");
    },
    onClose: () => {},
  });
};

const sameBytes = (a: unknown, b: Uint8Array): boolean => a instanceof Uint8Array && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

async function joined(id: string): Promise<void> {
  await pollUntil(`${id} in the room`, async () => (Nester.joined.includes(id) ? true : undefined));
}

async function twoClientsAroundLocal(url: (path: string) => string): Promise<TestClient[]> {
  const before = connect(url("/party/nest?_pk=before"));
  await joined("before");
  const opener = connect(url("/mount"));
  await opener.opened;
  await joined("local");
  const after = connect(url("/party/nest?_pk=after"));
  await joined("after");
  return [before, after];
}

describe("a broadcast inside a broadcast", () => {
  afterEach(() => {
    Nester.joined.length = 0;
  });

  for (const innerBinary of [false, true]) {
    it(`gives every client both payloads whole: the outer one framed before and after the inner ${innerBinary ? "binary" : "text"} one`, async () => {
      Nester.innerBinary = innerBinary;
      const { wsUrl } = await startServer({ main: Nester }, { storage: "memory", sockets: { "/mount": mount } });
      const [before, after] = await twoClientsAroundLocal(wsUrl);
      before!.send("go");
      const inner = innerBinary ? new TextEncoder().encode(INNER) : INNER;
      const isInner = (frame: unknown) => (innerBinary ? sameBytes(frame, inner as Uint8Array) : frame === inner);
      // "before" got the outer frame, then the inner one sent from within it; "after" the inner one, then the outer.
      const [beforeFirst, beforeSecond] = [await before!.nth(0), await before!.nth(1)];
      expect(sameBytes(beforeFirst, OUTER), "before's first: the outer payload").toBe(true);
      expect(isInner(beforeSecond), "before's second: the inner payload").toBe(true);
      const [afterFirst, afterSecond] = [await after!.nth(0), await after!.nth(1)];
      expect(isInner(afterFirst), "after's first: the inner payload").toBe(true);
      expect(sameBytes(afterSecond, OUTER), "after's second: the outer payload").toBe(true);
    });
  }
});
