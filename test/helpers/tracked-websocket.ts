/** A `ws` WebSocket class that records every socket it opens, so a test can cut a client's connection. */
import { afterEach } from "vitest";
import WebSocket from "ws";
import { cleanupAll } from "./server.js";

export interface TrackedSockets {
  /** Pass as a client's `WebSocket` option (it takes a URL, as a browser's does). */
  WebSocket: new (
    url: string,
  ) => WebSocket;
  /** Every socket opened so far, in order. */
  sockets: WebSocket[];
}

export function trackedSockets(): TrackedSockets {
  const sockets: WebSocket[] = [];
  class TrackedWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { WebSocket: TrackedWebSocket, sockets };
}

/**
 * `trackedSockets()` for a test file's clients: the `clients` it pushes are closed after each test, the sockets
 * forgotten, and the servers stopped (`cleanupAll`).
 */
export function trackedClients<C extends { close(): void }>(): TrackedSockets & { clients: C[] } {
  const tracked = trackedSockets();
  const clients: C[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    tracked.sockets.length = 0;
    await cleanupAll();
  });
  return { ...tracked, clients };
}
