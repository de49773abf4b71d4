/**
 * The known-IDs check (known-structs.ts) over sockets: honest replicas resend what the room has, in every shape Yjs
 * gives it (a state since an older state vector, merged updates, an update again, a merge diffed against a state
 * vector; V1), as update messages and as sync steps 2, while the editors of a seeded honest run
 * (support/honest-editors.ts: formatted text, XML, nested types, deletions, undo) keep editing. The room must refuse
 * none of it, it must end with every edit (a reference applied them all), and every replica must hold what it holds.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DocumentParty, YServer } from "../../src/yjs/index.js";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { honestEditorRun, sortedContentOf } from "./support/honest-editors.js";
import { ReplicaSocket } from "./support/replica-socket.js";
import { seededRandom } from "./support/trace.js";

const replicas: ReplicaSocket[] = [];
afterEach(async () => {
  for (const replica of replicas.splice(0)) await replica.close();
  await cleanupAll();
});

/** A room that keeps deleted content (gc off): known items come back with their content where the room has it too. */
class KeptDeleted extends YServer {
  static override persist = { mode: "snapshot" } as const;
  static override gc = false;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const RESENDS = ["state since", "merged", "again", "merge diffed"] as const;

/** One seeded run into `party`'s room: editors' deliveries and replicas' resends; returns how many resends went out. */
async function fuzzRoom(server: TestServer, party: string, seed: number, undo?: number): Promise<number> {
  const path = `/parties/${party}/known-fuzz-${seed}`;
  const { deliveries } = honestEditorRun({ editors: 4, edits: 400, seed, undo });
  const random = seededRandom(seed * 7_919 + 1);
  const below = (n: number): number => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[below(items.length)]!;
  const sockets = [0, 1, 2].map((i) => new ReplicaSocket(server.wsUrl(path), i % 2 === 0));
  replicas.push(...sockets);
  const reference = new Y.Doc();
  const sent: Uint8Array[] = [];
  const vectors: Uint8Array[] = [Y.encodeStateVector(reference)];
  const someSent = (): Uint8Array[] => Array.from({ length: 2 + below(5) }, () => pick(sent));
  const resend = (kind: (typeof RESENDS)[number]): Uint8Array => {
    if (kind === "state since") return Y.encodeStateAsUpdate(pick(sockets).doc, pick(vectors));
    if (kind === "merged") return Y.mergeUpdates(someSent());
    if (kind === "again") return pick(sent);
    return Y.diffUpdate(Y.mergeUpdates(someSent()), pick(vectors));
  };
  const settled = async (what: string) => {
    for (const socket of sockets) await socket.settled(`seed ${seed}, ${party}: ${what}`);
  };
  // Sockets do not keep order between them: what one sends after another's update waits until the room has that
  // update, as an editor only builds on what reached it through the room.
  let last: ReplicaSocket | undefined;
  let what = "";
  const via = async (socket: ReplicaSocket, update: Uint8Array, asStep2: boolean) => {
    if (last !== undefined && last !== socket) await last.settled(`seed ${seed}, ${party}: ${what}`);
    last = socket;
    await socket.send(update, asStep2);
  };
  let resends = 0;
  for (const [index, delivery] of deliveries.entries()) {
    what = `delivery ${index} of ${deliveries.length} (${delivery.kind}) or a resend after it`;
    const editor = sockets[delivery.from % sockets.length]!;
    for (const update of delivery.updates) await via(editor, update, delivery.kind !== "live");
    sent.push(...delivery.updates);
    for (const update of delivery.updates) Y.applyUpdate(reference, update);
    while (random() < 0.5) {
      await via(pick(sockets), resend(pick(RESENDS)), random() < 0.5);
      resends++;
    }
    if (random() < 0.2) vectors.push(Y.encodeStateVector(pick(sockets).doc));
  }
  for (const socket of sockets) await socket.send(Y.encodeStateAsUpdate(socket.doc), true);
  // Twice: the second round's answers come after whatever the first made the room send to each replica.
  await settled("the replicas' whole states");
  await settled("the end");

  const room = new Y.Doc();
  Y.applyUpdate(room, new Uint8Array(await (await fetch(`${server.url}${path}?format=update`)).arrayBuffer()));
  // Every edit reached the room. Its content is compared with the replicas', not with the reference: a Y.Text that
  // takes remote changes deletes formatting marks they made redundant, and which ones depends on how the changes
  // came in (Yjs's cleanup), so the room and a doc that took the same edits in other batches may format differently.
  expect(hex(Y.encodeStateVector(room)), `seed ${seed}, ${party}`).toBe(hex(Y.encodeStateVector(reference)));
  const expected = { vector: hex(Y.encodeStateVector(room)), content: sortedContentOf(room) };
  for (const [index, socket] of sockets.entries()) {
    expect({ vector: hex(Y.encodeStateVector(socket.doc)), content: sortedContentOf(socket.doc) }, `seed ${seed}, ${party}, replica ${index}`).toEqual(
      expected,
    );
  }
  return resends;
}

describe("honest resends of known structs over sockets", () => {
  it("are never refused, and every replica converges with the room, in rooms that collect deleted content and rooms that keep it", async () => {
    const server = await startServer({ main: DocumentParty, kept: KeptDeleted }, { storage: "memory" });
    let resends = 0;
    for (const seed of [1, 2, 3]) {
      resends += await fuzzRoom(server, "main", seed);
      resends += await fuzzRoom(server, "kept", seed + 100);
    }
    // Editors that undo and redo often: deleted content restored, under IDs the replicas resend
    resends += await fuzzRoom(server, "main", 4, 0.3);
    resends += await fuzzRoom(server, "kept", 104, 0.3);
    expect(resends).toBeGreaterThan(800);
  }, 30_000);
});
