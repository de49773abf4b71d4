/** Cluster load: writers that keep writing (TokenWriter, test/helpers/token-writer.ts) until their socket closes. */
import { TokenWriter } from "../helpers/token-writer.js";

export { TokenWriter };

/** Writes a token every few milliseconds until the socket closes or `stopped()`; resolves once what it wrote settled. */
export async function writeUntilClosed(writer: TokenWriter, prefix: string, stopped: () => boolean = () => false): Promise<TokenWriter> {
  await writer.opened.catch(() => {});
  for (let i = 0; writer.open && !stopped(); i++) {
    writer.write(`${prefix}-${i}`);
    await new Promise((resolve) => setTimeout(resolve, 5)); // pacing the load, not waiting for an event
  }
  await writer.settled();
  return writer;
}

/**
 * A client that keeps writing as a provider would: a new connection (and a new writer) each time the last one closed
 * or was refused, until `stop()`. `acknowledged` gathers what every connection had acknowledged.
 */
export class KeepWriting {
  readonly #writers: TokenWriter[] = [];
  #stopped = false;
  readonly #running: Promise<void>;

  constructor(host: string, party: string, room: string, prefix: string) {
    this.#running = (async () => {
      for (let generation = 0; !this.#stopped; generation++) {
        const writer = new TokenWriter(host, party, room);
        this.#writers.push(writer);
        await writeUntilClosed(writer, `${prefix}.${generation}`, () => this.#stopped);
        writer.close();
        if (!this.#stopped) await new Promise((resolve) => setTimeout(resolve, 50)); // a provider's reconnect backoff
      }
    })();
  }

  get acknowledged(): string[] {
    return this.#writers.flatMap((writer) => writer.acknowledged);
  }

  /** Connections opened so far: 1 while the first was never closed. */
  get connections(): number {
    return this.#writers.length;
  }

  /** Acks received by connections opened after `since` (performance.now()), or acks after it on older ones. */
  acknowledgedAfter(since: number): boolean {
    return this.#writers.some((writer) => writer.lastAckAt !== undefined && writer.lastAckAt > since);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }
}
