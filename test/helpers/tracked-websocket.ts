/** A `ws` WebSocket class that records every socket it opens, so a test can cut a client's connection. */
import WebSocket from "ws";

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
