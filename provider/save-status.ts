/**
 * Durable save status from yparty's opt-in acknowledgements.
 *
 * The server counts this connection's sync-step2 and update messages from 1 and answers `durable-ack(n)`
 * once the first n are durably stored. Each such message we send records how many local changes it
 * covers: the first k, when the messages of this connection so far carry (or the server stored) every one of them.
 * The step 2 answering the server's step 1 carries every local change the server lacked; an update carries the
 * change it is, so it extends that run only when the run reaches the change just before it. An update sent on a new
 * connection before its step 2 (typed right after reconnecting) covers nothing new: the offline changes before it
 * come with the step 2, and the server may store the update without them. An ack therefore moves the durable mark
 * to what its messages covered. Local changes the server already held when we reconnected count as stored with the
 * ack of the step 2.
 *
 * It also knows how far our own client's clock is durably stored (our clock when an acked message went out): after
 * a reconnect, our step 2 sends our own structs from there, whatever the server's state vector says. Another
 * connection may have written under our client id at those clocks while we were offline; Yjs would skip ours as
 * known (and the server acknowledge them), so the server must see them to compare (it refuses a mismatch: 1007).
 * The mark is kept per client id: Yjs gives the doc a new id when another client seems to use its own, and the old
 * id's clock says nothing of what the server stored under the new one.
 */
/** How far one of our client ids' clock goes. */
interface OwnClock {
  client: number;
  clock: number;
}

export class SaveTracker {
  #localChanges = 0;
  #durable = 0;
  #sentOnConnection = 0;
  /** The first `changes` local changes, and our own client `own.client`'s clock up to `own.clock`, are on their way or stored: no gap. */
  #carried: { changes: number; own?: OwnClock } = { changes: 0 };
  #inFlight: Array<{ seq: number; covers: number; own?: OwnClock }> = [];
  /** Per client id of ours, the clock up to which the server stored our changes; `undefined` until a server acknowledged one. */
  #durableOwnClocks: Map<number, number> | undefined;

  /** Local changes not yet durably stored. */
  get unsynced(): number {
    return this.#localChanges - this.#durable;
  }

  /** A local document update happened. */
  localChange(): void {
    this.#localChanges++;
  }

  /** A new connection starts: its message count starts over, and nothing on the old one will be acked. */
  connectionOpened(): void {
    this.#sentOnConnection = 0;
    this.#inFlight = [];
    this.#carried = { changes: this.#durable };
  }

  /** Our step 2 went out on the current connection: it carries every local change; `ownClock`: our client `client`'s clock then. */
  stepTwoSent(ownClock: number, client = 0): void {
    this.#carried = { changes: this.#localChanges, own: { client, clock: ownClock } };
    this.#documentMessageSent();
  }

  /** The update of the latest local change went out on the current connection; `ownClock`: our client `client`'s clock then. */
  updateSent(ownClock: number, client = 0): void {
    if (this.#carried.changes === this.#localChanges - 1) this.#carried = { changes: this.#localChanges, own: { client, clock: ownClock } };
    this.#documentMessageSent();
  }

  #documentMessageSent(): void {
    this.#sentOnConnection++;
    this.#inFlight.push({ seq: this.#sentOnConnection, covers: this.#carried.changes, own: this.#carried.own });
  }

  /** The server stored the first `count` document messages of this connection. */
  acknowledged(count: number): void {
    const clocks = (this.#durableOwnClocks ??= new Map()); // it acknowledges: what it has not acknowledged of ours is sent again
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.seq <= count) {
      const { covers, own } = this.#inFlight.shift()!;
      this.#durable = Math.max(this.#durable, covers);
      if (own) clocks.set(own.client, Math.max(clocks.get(own.client) ?? 0, own.clock));
    }
  }

  /**
   * From which clock our step 2 sends the structs of our client `client` (the doc's id now): what the server has not
   * acknowledged storing (all of them for an id none of whose changes it acknowledged). `undefined` (the server's
   * state vector decides) until a server acknowledged something: one that never does would be sent all of them
   * again at every reconnect.
   */
  ownStructsFrom(client = 0): number | undefined {
    return this.#durableOwnClocks && (this.#durableOwnClocks.get(client) ?? 0);
  }
}
