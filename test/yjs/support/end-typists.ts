/**
 * Honest typists as in the fan-out: each mostly appends to the end of its own copy of the text (its insert then
 * names its previous unit and no right origin until it hears the others), now and then edits elsewhere, deletes,
 * sets a map entry, or hears what the room has. Their updates reach the room in each typist's order, or, now and
 * then, a typist's second update before its first (it waits, then the first fills the gap). Seeded.
 */
import * as Y from "yjs";

interface Typist {
  doc: Y.Doc;
  /** Updates not yet delivered to the room, in the typist's order. */
  outbox: Uint8Array[];
}

export class EndTypists {
  readonly #typists: Typist[] = [];
  #nextClient: number;

  constructor(
    private readonly random: () => number,
    count: number,
    firstClient: number,
  ) {
    this.#nextClient = firstClient;
    for (let i = 0; i < count; i++) this.#typists.push(this.#fresh());
  }

  /** One edit by a typist picked at random: its update waits in its outbox. */
  edit(): void {
    const { doc } = this.#pick();
    const text = doc.getText("text");
    const roll = this.random();
    if (roll < 0.85) text.insert(text.length, "abc".slice(0, 1 + this.#int(3)));
    else if (roll < 0.9) text.insert(this.#int(text.length + 1), "xy".slice(0, 1 + this.#int(2)));
    else if (roll < 0.97 && text.length > 0) {
      const at = this.#int(text.length);
      text.delete(at, 1 + this.#int(Math.min(3, text.length - at)));
    } else doc.getMap("m").set(["a", "b"][this.#int(2)]!, this.#int(100));
  }

  /** The next update to deliver (a typist's first, or now and then its second), or `undefined` when none waits. */
  deliver(): { client: number; update: Uint8Array } | undefined {
    const waiting = this.#typists.filter((typist) => typist.outbox.length > 0);
    if (waiting.length === 0) return undefined;
    const typist = waiting[this.#int(waiting.length)]!;
    const at = typist.outbox.length > 1 && this.random() < 0.15 ? 1 : 0;
    return { client: typist.doc.clientID, update: typist.outbox.splice(at, 1)[0]! };
  }

  /**
   * Whether the typist `client` can no longer reach the room: the room lacks some of its updates and none waits in its
   * outbox (the room took a mutant's part in their place, or refused one of them).
   */
  isStuck(client: number, room: Y.Doc): boolean {
    const typist = this.#typists.find((candidate) => candidate.doc.clientID === client);
    return typist !== undefined && typist.outbox.length === 0 && Y.getState(room.store, client) < Y.getState(typist.doc.store, client);
  }

  /** A typist picked at random hears everything the room has. */
  hear(room: Y.Doc): void {
    const { doc } = this.#pick();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(room, Y.encodeStateVector(doc)), "room");
  }

  /**
   * The typist `client` leaves (the room took a mutant of its update, so its own updates no longer fit), and a new
   * one joins with what the room has.
   */
  replace(client: number, room: Y.Doc): void {
    const at = this.#typists.findIndex((typist) => typist.doc.clientID === client);
    if (at < 0) return;
    this.#typists[at]!.doc.destroy();
    const typist = (this.#typists[at] = this.#fresh());
    Y.applyUpdate(typist.doc, Y.encodeStateAsUpdate(room), "room");
  }

  destroy(): void {
    for (const typist of this.#typists) typist.doc.destroy();
  }

  #fresh(): Typist {
    const doc = new Y.Doc();
    doc.clientID = this.#nextClient++;
    const typist: Typist = { doc, outbox: [] };
    doc.on("update", (update: Uint8Array, origin: unknown) => origin !== "room" && typist.outbox.push(update));
    return typist;
  }

  #pick(): Typist {
    return this.#typists[this.#int(this.#typists.length)]!;
  }

  #int(n: number): number {
    return Math.floor(this.random() * n);
  }
}
