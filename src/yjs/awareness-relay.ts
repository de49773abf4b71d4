/**
 * The room's presence: what a connection may write (AwarenessOwners), what everyone is sent. It returns frames and
 * leaves sending to the session.
 */
import * as awarenessProtocol from "y-protocols/awareness";
import { encodeAwareness } from "../protocol/index.js";
import { AwarenessOwners, type AwarenessRefusal } from "./awareness-owners.js";
import { validateAwarenessUpdate } from "./validate.js";

export type AwarenessChange = { added: number[]; updated: number[]; removed: number[] };

export class AwarenessRelay<C extends object> {
  readonly #owners: AwarenessOwners<C>;

  constructor(
    private readonly awareness: awarenessProtocol.Awareness,
    maxIdsPerConnection: number,
    /** Told the first time an entry of `connection` is dropped (see AwarenessOwners). */
    onFirstRefusal: (connection: C, clientId: number, reason: AwarenessRefusal) => void,
  ) {
    this.#owners = new AwarenessOwners(awareness, { maxIdsPerConnection, onFirstRefusal });
  }

  /** Entries dropped since the room loaded (not owned by their sender, or past its cap). */
  get refused(): number {
    return this.#owners.refused;
  }

  /**
   * Applies the entries of an awareness update that `connection` may write (`ERR_INVALID_AWARENESS`), with `origin`
   * as the Awareness event's origin (project code listening sees it).
   */
  receive(connection: C, update: Uint8Array, origin: unknown = connection): void {
    validateAwarenessUpdate(update);
    const allowed = this.#owners.filter(connection, update);
    if (allowed) awarenessProtocol.applyAwarenessUpdate(this.awareness, allowed, origin);
  }

  /** Whether the room knows any state (a new connection is then sent them). */
  get hasStates(): boolean {
    return this.awareness.getStates().size > 0;
  }

  /** Every state the room knows, as one frame. */
  statesFrame(): Uint8Array {
    return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()]));
  }

  /** The frame that relays a change to everyone; ids whose state timed out are free to be claimed again. */
  changeFrame(change: AwarenessChange, origin: unknown): Uint8Array {
    const changed = change.added.concat(change.updated, change.removed);
    const frame = encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
    if (origin === "timeout") {
      this.#owners.timedOut(change.removed);
      this.#owners.forgetClocks(change.removed); // encoded: their clocks are no longer needed
    }
    return frame;
  }

  /** The client ids `connection` owns now (a copy). */
  idsOf(connection: C): Set<number> {
    return this.#owners.idsOf(connection);
  }

  /** A connection left: the client ids it owned are free and their states removed (which relays the removal). */
  forget(connection: C): void {
    const ids = this.#owners.release(connection);
    if (ids.length === 0 || (this.awareness.doc as { isDestroyed?: boolean }).isDestroyed) return;
    awarenessProtocol.removeAwarenessStates(this.awareness, ids, null); // relayed at once (the room's update listener)
    this.#owners.forgetClocks(ids);
  }
}
