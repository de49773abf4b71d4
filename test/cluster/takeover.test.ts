/**
 * A survivor taking over many rooms at once (--lease-ttl 1): the owner of 30 rooms with real-size documents (a paper
 * typed keystroke by keystroke, 300 KB, and 70 edits since) is killed, a client of each reconnects through the other
 * node, which claims and loads them all when the dead owner's leases run out, together. The survivor must keep its own
 * rooms meanwhile: each load's passes over its document (merging the stored log, applying it) take turns of the event
 * loop with the other rooms' (persistence/heavy-work.ts), and a lease renewal confirmed during a long turn counts
 * (src/cluster/leases.ts). Before, the loads answered in one database read ran in one turn (0.3–1 s here), the node
 * lost its own leases, its clients were closed 1013, and their reconnects made more loads: the test failed every run,
 * with 1 to 148 leases lost.
 *
 * The nodes reach Redis through TCP proxies in this test's own process (network.ts): a long turn here holds every
 * node's renewals, and at TTL 1 s one of 0.9 s loses their leases. The test's clients therefore do no Yjs work of their
 * own beyond making the document and its edits once (h137: made per room, the test's process had turns of 0.8–1.4 s
 * beside CPU hogs while the owner stored them, where a keeper was closed 1013: "the keeper of taken-6 closed (1013)").
 */
import WebSocket from "ws";
import * as Y from "yjs";
import { expect, test, vi } from "vitest";
import { ACK_PARAM, decodeMessage, encodeSyncStep2, encodeUpdate } from "../../src/protocol/index.js";
import { waitFor } from "../helpers/server.js";
import { loadTrace } from "../yjs/support/trace.js";
import { LEASE_TTL_S, startCluster, useCluster, type ClusterNode, until } from "./cluster.js";
import { KeepWriting, TokenWriter } from "./writer.js";

useCluster();
vi.setConfig({ testTimeout: 180_000 });

const ROOMS = 30;
const OWN_ROOMS = 4;
/** Edits stored after each document, one log entry each: past 64 entries a load merges the log through a Y.Doc. */
const EDITS = 70;

/**
 * A real editing session (a paper typed keystroke by keystroke) typed into a document, one transaction per trace
 * transaction: ~300 KB encoded, ~11 000 structs. The trace is ASCII: its positions are the string's.
 */
function editedDocument(): Uint8Array {
  const doc = new Y.Doc();
  const text = doc.getText("source");
  const { txns, endContent } = loadTrace("automerge-paper");
  for (const { patches } of txns) {
    doc.transact(() => {
      for (const [position, deleteCount, insert] of patches) {
        if (deleteCount > 0) text.delete(position, deleteCount);
        if (insert) text.insert(position, insert);
      }
    });
  }
  expect(text.toString()).toBe(endContent);
  return Y.encodeStateAsUpdate(doc);
}

/**
 * `count` small edits of the document `state`, each an update of its own (so each is an entry of a room's stored log:
 * a room edited since its last compaction), made once and sent to every room: made per room, the test's own process
 * spent whole seconds in Yjs (30 documents of 300 KB applied, 2,100 diffs of them encoded), in turns that also held
 * the TCP proxies through which the nodes reach Redis (network.ts): every lease of both nodes ran out in them.
 */
function editsOf(state: Uint8Array, count: number): Uint8Array[] {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  const text = doc.getText("source");
  return Array.from({ length: count }, (_, i) => {
    const before = Y.encodeStateVector(doc);
    text.insert((i * 7919) % text.length, "x");
    return encodeUpdate(Y.encodeStateAsUpdate(doc, before));
  });
}

/** A client on `node` that stores the document and its edits in `room`, and stays open, keeping the room loaded there. */
class Keeper {
  readonly socket: WebSocket;
  #sent = 0;
  #acked = 0;
  #onAck: (() => void) | undefined;
  readonly #closed: Promise<never>;

  constructor(
    node: ClusterNode,
    readonly room: string,
  ) {
    this.socket = new WebSocket(`ws://${node.host}/parties/main/${room}?${ACK_PARAM}=1`);
    this.socket.on("error", () => {}); // the kill cuts it
    this.socket.on("message", (data: Buffer) => {
      const message = decodeMessage(new Uint8Array(data));
      if (message.type !== "durable-ack") return;
      this.#acked = message.count;
      this.#onAck?.();
    });
    this.#closed = new Promise((_, reject) =>
      this.socket.once("close", (code, reason) => reject(new Error(`the keeper of ${room} closed (${code}: ${reason})`))),
    );
    this.#closed.catch(() => {});
  }

  async #send(frame: Uint8Array): Promise<void> {
    if (this.socket.readyState !== WebSocket.OPEN) await Promise.race([new Promise((resolve) => this.socket.once("open", resolve)), this.#closed]);
    const count = ++this.#sent;
    this.socket.send(frame);
    await Promise.race([new Promise<void>((resolve) => (this.#onAck = () => this.#acked >= count && resolve())), this.#closed]);
  }

  seed(state: Uint8Array): Promise<void> {
    return waitFor(this.#send(encodeSyncStep2(state)), `${this.room} to be stored on its owner`, 30_000);
  }

  /** Each of `edits` acknowledged before the next is sent. */
  async edit(edits: Uint8Array[]): Promise<void> {
    for (const edit of edits) await waitFor(this.#send(edit), `an edit of ${this.room} to be stored`, 30_000);
  }
}

/** Writes `token` into `room` through `node` as a provider would: connecting again until a connection stored it. */
async function writeOnce(node: ClusterNode, room: string, token: string): Promise<TokenWriter> {
  for (;;) {
    const writer = new TokenWriter(node.host, "main", room);
    const opened = await writer.opened.then(
      () => true,
      () => false,
    );
    if (opened) {
      writer.write(token);
      await writer.settled();
      if (writer.acknowledged.length === 1) return writer;
      writer.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // a provider's reconnect backoff
  }
}

test(`a survivor taking over ${ROOMS} rooms with real-size documents at once keeps its own leases and clients`, async () => {
  const seed = editedDocument();
  const edits = editsOf(seed, EDITS);
  const cluster = await startCluster(2);
  const [owner, survivor] = cluster.nodes as [ClusterNode, ClusterNode];

  // The survivor's own rooms, written to all along: a lease it loses closes its writer (1013).
  const own = Array.from({ length: OWN_ROOMS }, (_, i) => new KeepWriting(survivor.host, "main", `own-${i}`, `own${i}`));
  await until(() => own.every((writer) => writer.acknowledged.length > 0), "the survivor's own rooms to be written");

  const rooms = Array.from({ length: ROOMS }, (_, i) => `taken-${i}`);
  const keepers = rooms.map((room) => new Keeper(owner, room));
  // A few at a time: each document is applied in slices, which the owner would otherwise do for all rooms in one turn.
  for (let i = 0; i < keepers.length; i += 4) await Promise.all(keepers.slice(i, i + 4).map((keeper) => keeper.seed(seed)));
  await Promise.all(keepers.map((keeper) => keeper.edit(edits)));
  for (const room of rooms.slice(0, 3)) expect(await cluster.owner(`main/${room}`)).toBe(owner.url);
  // From here on, as the leases checked below: a node just started (its first loads compiled, beside CPU hogs) may lose
  // a lease to a turn of its own before (then its writer reconnects), which is not what this test is about.
  const ownedBefore = survivor.output.length;
  const ownConnectionsBefore = own.map((writer) => writer.connections);

  const killedAt = performance.now();
  await owner.kill("SIGKILL");
  // A client of every room reconnects through the survivor: held until the leases run out, then all claimed at once.
  const writers = await waitFor(
    Promise.all(rooms.map((room, i) => writeOnce(survivor, room, `after-${i}`))),
    "every room to acknowledge a write on the survivor",
    90_000,
  );
  const firstAcks = writers.map((writer) => writer.firstAckAt! - killedAt).sort((a, b) => a - b);
  const since = survivor.output.slice(ownedBefore);
  const lostOwn = (since.match(/"event":"cluster\.lease_(expired|lost)"/g) ?? []).length;
  process.stdout.write(
    `[cluster takeover] ${ROOMS} rooms of ${seed.byteLength} bytes: first ack after kill -9 p50 ${Math.round(firstAcks[ROOMS >> 1]!)} ms, ` +
      `max ${Math.round(firstAcks.at(-1)!)} ms (lease TTL ${LEASE_TTL_S} s); leases the survivor lost: ${lostOwn}\n`,
  );

  expect(since).not.toMatch(/"event":"cluster\.lease_(expired|lost)"/);
  // Its own rooms were never closed meanwhile: each was written through the connection it had at the kill.
  const ownConnections = own.map((writer) => writer.connections);
  await Promise.all(own.map((writer) => writer.stop()));
  expect(ownConnections).toEqual(ownConnectionsBefore);
  for (const writer of writers) writer.close();
  for (const keeper of keepers) keeper.socket.terminate();
});
