/**
 * Unsent outgoing bytes, judged after every send: per connection (`limits.maxSendBufferBytes`, not counting the
 * largest frame still being written, so a client that reads is never cut for the size of one frame) and for the
 * whole server (`limits.maxBufferedBytes`, every byte counted, also those of connections already closing). Past
 * either, connections are closed with 4008 `SendBufferFull`; over the server budget, connections already closed
 * for their send buffer that still have not read it are destroyed first, then those holding the most unread bytes
 * beyond their largest frame are closed, so stalled readers go before a client still receiving a large document.
 *
 * The server total is kept from what each connection held after its last send (O(1) per send); a connection
 * whose socket drained since looks bigger than it is, so before closing anyone every holder is measured again.
 */

/** A connection as the budget sees it (a `RoomConnection`). */
export interface BufferHolder {
  readonly bufferedAmount: number;
  readonly unsentBeyondLargestFrame: number;
  readonly readyState: number;
  /** Runs `listener` once the socket has closed. */
  onceClosed(listener: () => void): void;
  /** Closes it with 4008 `SendBufferFull` (its room logs which limit it passed). */
  sendBufferFull(limit: SendBufferLimit): void;
  /** Destroys its socket at once, dropping what it has not read. */
  terminate(): void;
}

export type SendBufferLimit = "maxSendBufferBytes" | "maxBufferedBytes";

export interface SendBudgetLimits {
  maxSendBufferBytes: number;
  maxBufferedBytes: number;
}

const OPEN = 1;
const CLOSED = 3;

export class SendBudget {
  /** Connections (open, or closing with bytes still unsent) that held unsent bytes when last measured, with that count. */
  readonly #held = new Map<BufferHolder, number>();
  readonly #watched = new WeakSet<BufferHolder>();
  #total = 0;

  constructor(private readonly limits: SendBudgetLimits) {}

  /** Unsent bytes of every connection, as last measured. */
  get total(): number {
    return this.#total;
  }

  /** `unsent`: its unsent bytes right after the send, if the caller has read them already. */
  afterSend(holder: BufferHolder, unsent = holder.bufferedAmount): void {
    // Most sends are written at once: with nothing unsent anywhere there is nothing to count or judge.
    if (unsent === 0 && this.#held.size === 0) return;
    this.#set(holder, unsent);
    // Closed, it stays counted until its socket is gone: its close frame waits behind what it has not read.
    if (holder.unsentBeyondLargestFrame > this.limits.maxSendBufferBytes) holder.sendBufferFull("maxSendBufferBytes");
    if (this.#total > this.limits.maxBufferedBytes) this.#shed();
  }

  /**
   * Measures every holder again (sockets drain between sends); while still over the budget, destroys the
   * connections already closed for their send buffer that have still not read it, then closes the open ones
   * holding the most beyond their largest message.
   */
  #shed(): void {
    const max = this.limits.maxBufferedBytes;
    for (const holder of [...this.#held.keys()]) this.#set(holder, holder.readyState === CLOSED ? 0 : holder.bufferedAmount);
    for (const holder of [...this.#held.keys()]) {
      if (this.#total <= max) return;
      if (holder.readyState === OPEN) continue;
      this.#set(holder, 0);
      holder.terminate();
    }
    const biggestFirst = [...this.#held.keys()]
      .filter((holder) => holder.readyState === OPEN)
      .map((holder) => ({ holder, beyond: holder.unsentBeyondLargestFrame, all: this.#held.get(holder)! }))
      .sort((a, b) => b.beyond - a.beyond || b.all - a.all);
    let over = this.#total - max;
    for (const { holder, all } of biggestFirst) {
      if (over <= 0) return;
      over -= all;
      holder.sendBufferFull("maxBufferedBytes");
    }
  }

  #set(holder: BufferHolder, bytes: number): void {
    const before = this.#held.get(holder) ?? 0;
    this.#total += bytes - before;
    if (bytes === 0) {
      this.#held.delete(holder);
      return;
    }
    this.#held.set(holder, bytes);
    if (!this.#watched.has(holder)) {
      this.#watched.add(holder);
      holder.onceClosed(() => this.#set(holder, 0));
    }
  }
}
