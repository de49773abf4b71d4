/**
 * The sockets party code opens with `stub.socket()` / `connect()`: loopback `ws` clients to rooms of this server. On
 * Workers such a socket belongs to the code that opened it (the request, the Durable Object) and ends with it; here the
 * runtime ends them as workerd would: all of them when a reload replaces the code (1012) or the server stops (1001), a
 * room instance's when it stops, those opened while serving one socket outside the rooms (`onSocket`'s, a
 * `WebSocketPair` end answered from `onFetch`) once that socket closes, and those a hook opened while answering a
 * request once that request is over (request-scope.ts). Before, party.io's connector (one per Socket.IO connection) outlived its client
 * for good, a connection of the hub room that nobody served.
 */
import type { WebSocket } from "./ws.js";

/** Sockets opened by one opener; closed with it. After its close, a socket it still opens is closed once open. */
export class StubSockets {
  readonly #open = new Set<WebSocket>();
  #ended: { code: number; reason: string } | undefined;

  constructor(private readonly all?: StubSockets) {}

  track(ws: WebSocket): void {
    this.all?.track(ws);
    if (this.#ended) {
      const { code, reason } = this.#ended;
      ws.once("open", () => ws.close(code, reason));
      return;
    }
    this.#open.add(ws);
    ws.once("close", () => this.#open.delete(ws));
  }

  /** Closes what is open now (a socket still connecting is closed once open); `forGood`: later ones too. */
  close(code: number, reason: string, forGood: boolean): void {
    if (forGood) this.#ended = { code, reason };
    for (const ws of this.#open) {
      if (ws.readyState === ws.OPEN) ws.close(code, reason);
      else if (ws.readyState === ws.CONNECTING) ws.once("open", () => ws.close(code, reason));
    }
  }
}
