/**
 * The room's document: a Y.Doc that carries its Awareness, as y-partykit's and y-partyserver's
 * `WSSharedDoc` do (`doc.awareness`), so code written against either finds it where it expects.
 */
import { randomUUID } from "node:crypto";
import * as awarenessProtocol from "y-protocols/awareness";
import * as Y from "yjs";
import type { Connection } from "../runtime/party-types.js";

/** Each connection of the room and the awareness client ids it controls (y-partykit's `WSSharedDoc.conns`). */
export type DocConnections = Map<Connection, Set<number>>;

export class SharedDoc extends Y.Doc {
  readonly awareness: awarenessProtocol.Awareness;

  constructor(
    /** The room id (y-partykit's `doc.name`). */
    readonly name: string,
    gc: boolean,
    /** Who holds the room's connections (the session) describes them; a doc of its own has none. */
    private readonly describeConnections: () => DocConnections = () => new Map(),
  ) {
    // Node's buffered UUID: Yjs' default guid draws 31 random numbers one by one (~0.3 ms a room).
    super({ gc, guid: randomUUID() });
    this.awareness = new awarenessProtocol.Awareness(this);
    // The server has no presence of its own; it only relays its clients'.
    this.awareness.setLocalState(null);
  }

  /**
   * y-partykit's `doc.conns`, for code that counts or reaches the room's connections through the document. A snapshot
   * made on each read: the session owns the connections, so changing this map changes nothing.
   */
  get conns(): DocConnections {
    return this.describeConnections();
  }

  /** The `update` listeners' set while `muteUpdate` holds it aside (it held only the muted listener). */
  #updateAside: Set<unknown> | undefined;

  /**
   * `off("update", listener)`, kept for `unmuteUpdate`: with no `update` listener left Yjs encodes nothing. lib0's
   * `off` drops the emptied set and `on` makes a new one (a set and a map entry per transaction for a listener taken
   * off for each); here the set is held aside and put back.
   */
  muteUpdate(listener: (...args: any[]) => void): void {
    const listeners = this._observers.get("update");
    if (listeners === undefined || !listeners.has(listener)) return;
    if (listeners.size > 1) return void listeners.delete(listener);
    this._observers.delete("update");
    this.#updateAside = listeners;
  }

  /** `on("update", listener)` after `muteUpdate`. */
  unmuteUpdate(listener: (...args: any[]) => void): void {
    const aside = this.#updateAside;
    this.#updateAside = undefined;
    const listeners = this._observers.get("update");
    if (listeners !== undefined) listeners.add(listener);
    else if (aside !== undefined) this._observers.set("update", aside);
    else this.on("update", listener);
  }

  /**
   * lib0's `emit` (listeners copied first, then each called), without the empty map and the array it makes for an
   * event no one listens to: Yjs emits six events per transaction, most of them to no one, on every change's path.
   */
  override emit(name: string, args: unknown[]): void {
    const listeners = this._observers.get(name);
    if (listeners === undefined) return;
    for (const listener of Array.from(listeners) as Array<(...args: unknown[]) => void>) listener(...args);
  }
}

/** Origins of changes that must not be appended to the store (they came from it, or from `load()`). */
export const LOAD_ORIGIN = Symbol("yparty.load");
/** Origin of updates posted over HTTP. */
export const HTTP_ORIGIN = Symbol("yparty.http");
