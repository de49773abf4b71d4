/**
 * Unsent outgoing bytes, judged after every send: per connection (`limits.maxSendBufferBytes`, not counting the
 * largest frame still being written, so a client that reads is never cut for the size of one frame) and for the
 * whole server (`limits.maxBufferedBytes`, every byte counted). Past either, connections are closed with 4008
 * `SendBufferFull`; over the server budget, those holding the most unread bytes beyond their largest frame go
 * first, so stalled readers are closed before a client still receiving a large document.
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
}

export type SendBufferLimit = "maxSendBufferBytes" | "maxBufferedBytes";

export interface SendBudgetLimits {
  maxSendBufferBytes: number;
  maxBufferedBytes: number;
}

const OPEN = 1;

export class SendBudget {
  /** Open connections that held unsent bytes after their last send, with that count. */
  readonly #held = new Map<BufferHolder, number>();
  readonly #watched = new WeakSet<BufferHolder>();
  #total = 0;

  constructor(private readonly limits: SendBudgetLimits) {}

  /** Unsent bytes of every open connection, as last measured. */
  get total(): number {
    return this.#total;
  }

  afterSend(holder: BufferHolder): void {
    if (holder.unsentBeyondLargestFrame > this.limits.maxSendBufferBytes) {
      this.#set(holder, 0);
      return holder.sendBufferFull("maxSendBufferBytes");
    }
    this.#set(holder, holder.bufferedAmount);
    if (this.#total > this.limits.maxBufferedBytes) this.#shed();
  }

  /** Measures every holder again; while still over the budget, closes the biggest holders first. */
  #shed(): void {
    for (const holder of [...this.#held.keys()]) this.#set(holder, holder.readyState === OPEN ? holder.bufferedAmount : 0);
    if (this.#total <= this.limits.maxBufferedBytes) return;
    const biggestFirst = [...this.#held.keys()]
      .map((holder) => ({ holder, beyond: holder.unsentBeyondLargestFrame, all: this.#held.get(holder)! }))
      .sort((a, b) => b.beyond - a.beyond || b.all - a.all);
    for (const { holder } of biggestFirst) {
      if (this.#total <= this.limits.maxBufferedBytes) return;
      this.#set(holder, 0);
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
