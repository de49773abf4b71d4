/**
 * Who may write which awareness client id (docs/protocol.md, "Awareness ownership"). Every awareness update
 * a connection sends goes through `filter` before y-protocols applies it.
 *
 * A client id belongs to the live connection that announced it first (with a state), up to
 * `maxIdsPerConnection` ids each, until that connection closes or the id's state times out (no renewal for
 * 30 s). Dropped before anything is applied: entries for an id another connection owns, for an id holding a
 * state server code wrote (no connection owns it), for the server's own client id, new ids past the cap, and
 * clocks past `MAX_AWARENESS_CLOCK`.
 *
 * y-protocols applies an entry only when its clock is higher than the one it knows, and whoever held an id
 * before (a connection since closed, server code) may have raised that clock: a connection taking a free id
 * would then be ignored by everyone. So a claim's clock is raised past the room's, and the relay carries it. The
 * owner learns the raised clock from the relay's echo; a change it makes before that echo comes carries a clock the
 * room has already, so an owner's entry at a clock the room has, with another state, is raised past it too (its
 * entries arrive in order over one socket: the last one is its state).
 *
 * Once a released id's removal went out, the room keeps its clock in a bounded list instead of y-protocols' meta
 * (kept for good there: a room that stays loaded grew by each id any visitor ever announced): a claim of that id is
 * raised past it. Past the bound the oldest go; a provider back after that many others left is seen at its next
 * renewal. Per id: one connection's clocks never raise anyone else's (a clock near the cap would freeze them).
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import type { Awareness } from "y-protocols/awareness";
import { MAX_AWARENESS_CLOCK } from "./defaults.js";

/** Released ids whose clocks a room keeps (~50 B each). */
const RELEASED_CLOCKS_KEPT = 1_024;

export type AwarenessRefusal = "not-owner" | "over-cap" | "clock-too-high";

export interface AwarenessOwnersOptions<C> {
  maxIdsPerConnection: number;
  /** Told the first time an entry of `connection` is dropped (later ones are only counted). */
  onFirstRefusal(connection: C, clientId: number, reason: AwarenessRefusal): void;
}

interface Holding {
  readonly ids: Set<number>;
  refused: number;
}

export class AwarenessOwners<C extends object> {
  readonly #ownerOf = new Map<number, C>();
  readonly #holdings = new Map<C, Holding>();
  #refused = 0;
  /** Clocks of released ids, oldest first, at most `RELEASED_CLOCKS_KEPT`. */
  readonly #released = new Map<number, number>();

  constructor(
    private readonly awareness: Awareness,
    private readonly options: AwarenessOwnersOptions<C>,
  ) {
    const max = options.maxIdsPerConnection;
    if (!Number.isInteger(max) || max < 1) {
      throw new TypeError(`maxAwarenessIdsPerConnection must be a whole number, 1 or more (default 16), got ${max}`);
    }
  }

  /** Entries dropped since the room loaded, every connection together. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * The part of `update` (a validated awareness update) that `connection` may apply, claims' clocks raised,
   * or `null` when nothing is left. Entries that would have changed nothing are dropped without counting
   * (y-websocket-style providers send back every state they hear, others' included).
   */
  filter(connection: C, update: Uint8Array): Uint8Array | null {
    const decoder = decoding.createDecoder(update);
    const encoder = encoding.createEncoder();
    let kept = 0;
    const count = decoding.readVarUint(decoder);
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      let clock = decoding.readVarUint(decoder);
      const json = decoding.readVarString(decoder);
      if (clock > MAX_AWARENESS_CLOCK) {
        this.#refuse(connection, clientId, "clock-too-high");
        continue;
      }
      const owner = this.#ownerOf.get(clientId);
      if (owner === undefined && this.#claimable(clientId)) {
        if (JSON.parse(json) === null) continue; // a free id has no state to remove
        if (!this.#claim(connection, clientId)) {
          this.#refuse(connection, clientId, "over-cap");
          continue;
        }
        clock = this.#claimClock(clientId, clock);
      } else if (owner !== connection) {
        if (this.#wouldApply(clientId, clock, json)) this.#refuse(connection, clientId, "not-owner");
        continue;
      } else if (clock <= this.#clockOf(clientId)) {
        if (this.#holdsState(clientId, json)) continue; // its own state echoed back: nothing new
        clock = this.#clockOf(clientId) + 1; // a change made before the echo of its raised clock came
      }
      encoding.writeVarUint(encoder, clientId);
      encoding.writeVarUint(encoder, clock);
      encoding.writeVarString(encoder, json);
      kept++;
    }
    if (kept === 0) return null;
    const filtered = encoding.createEncoder();
    encoding.writeVarUint(filtered, kept);
    encoding.writeUint8Array(filtered, encoding.toUint8Array(encoder));
    return encoding.toUint8Array(filtered);
  }

  /** States the room's Awareness timed out (not renewed for 30 s): their ids are free again. */
  timedOut(clientIds: readonly number[]): void {
    for (const clientId of clientIds) {
      const owner = this.#ownerOf.get(clientId);
      if (owner === undefined) continue;
      this.#ownerOf.delete(clientId);
      const holding = this.#holdings.get(owner)!;
      holding.ids.delete(clientId);
      if (holding.ids.size === 0 && holding.refused === 0) this.#holdings.delete(owner);
    }
  }

  /** Released ids whose removal went out: their clocks are forgotten (see the module comment). */
  forgetClocks(clientIds: readonly number[]): void {
    for (const clientId of clientIds) {
      const meta = this.awareness.meta.get(clientId);
      if (meta === undefined || this.awareness.states.has(clientId) || this.#ownerOf.has(clientId)) continue;
      this.#released.delete(clientId);
      this.#released.set(clientId, meta.clock);
      if (this.#released.size > RELEASED_CLOCKS_KEPT) this.#released.delete(this.#released.keys().next().value!);
      this.awareness.meta.delete(clientId);
    }
  }

  /** The client ids `connection` owns now (a copy). */
  idsOf(connection: C): Set<number> {
    return new Set(this.#holdings.get(connection)?.ids);
  }

  /** `connection` left: the ids it owned, now free (their states are still to be removed). */
  release(connection: C): number[] {
    const holding = this.#holdings.get(connection);
    if (!holding) return [];
    this.#holdings.delete(connection);
    for (const clientId of holding.ids) this.#ownerOf.delete(clientId);
    return [...holding.ids];
  }

  /** A free id may be taken unless it is the server's own or holds a state server code wrote. */
  #claimable(clientId: number): boolean {
    return clientId !== this.awareness.clientID && !this.awareness.states.has(clientId);
  }

  #claim(connection: C, clientId: number): boolean {
    const holding = this.#holding(connection);
    if (holding.ids.size >= this.options.maxIdsPerConnection) return false;
    holding.ids.add(clientId);
    this.#ownerOf.set(clientId, connection);
    return true;
  }

  #holding(connection: C): Holding {
    let holding = this.#holdings.get(connection);
    if (!holding) this.#holdings.set(connection, (holding = { ids: new Set(), refused: 0 }));
    return holding;
  }

  /**
   * An id the room has known (someone held it) needs a clock past the room's to be applied and relayed. One it
   * has never seen keeps y-protocols' rule: a first state at clock 0 waits for the client's first renewal.
   */
  #claimClock(clientId: number, clock: number): number {
    const known = this.awareness.meta.get(clientId)?.clock ?? this.#released.get(clientId);
    return known === undefined ? clock : Math.max(clock, known + 1);
  }

  /** Whether the room holds `json` as the state of `clientId` (null: none). */
  #holdsState(clientId: number, json: string): boolean {
    const state = this.awareness.states.get(clientId);
    return state === undefined ? JSON.parse(json) === null : JSON.stringify(state) === json;
  }

  #clockOf(clientId: number): number {
    return this.awareness.meta.get(clientId)?.clock ?? 0;
  }

  /** y-protocols' own rule: a higher clock, or a removal at the same clock of a state it holds. */
  #wouldApply(clientId: number, clock: number, json: string): boolean {
    const current = this.#clockOf(clientId);
    return current < clock || (current === clock && this.awareness.states.has(clientId) && JSON.parse(json) === null);
  }

  #refuse(connection: C, clientId: number, reason: AwarenessRefusal): void {
    this.#refused++;
    if (this.#holding(connection).refused++ === 0) this.options.onFirstRefusal(connection, clientId, reason);
  }
}
