/**
 * Durable save status from yparty's opt-in acknowledgements.
 *
 * The server counts this connection's sync-step2 and update messages from 1 and answers `durable-ack(n)`
 * once the first n are durably stored. Each such message we send records how many local changes it
 * covers (an update covers itself and all before it; the step 2 answering the server's step 1 covers
 * every local change the server lacked). An ack therefore moves the durable mark to what its messages
 * covered. Local changes the server already held when we reconnected count as stored with the next ack.
 */
export class SaveTracker {
  #localChanges = 0;
  #durable = 0;
  #sentOnConnection = 0;
  #inFlight: Array<{ seq: number; covers: number }> = [];

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
  }

  /** A sync-step2 or update message went out on the current connection. */
  documentMessageSent(): void {
    this.#sentOnConnection++;
    this.#inFlight.push({ seq: this.#sentOnConnection, covers: this.#localChanges });
  }

  /** The server stored the first `count` document messages of this connection. */
  acknowledged(count: number): void {
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.seq <= count) {
      this.#durable = Math.max(this.#durable, this.#inFlight.shift()!.covers);
    }
  }
}
