/**
 * "A client whose first connection fails leaves nothing retrying": `connect` gets a WebSocket class that counts
 * the sockets it opens and a 5 ms backoff, to a port nothing listens on. Its rejection is returned with the sockets
 * opened by then and within twenty backoff delays after it. That nothing happens needs a window: there is no event.
 */
import WebSocket from "ws";
import { closedPort } from "../cli/helpers.js";

const BACKOFF = { initialMs: 5, maxMs: 5 };
const NO_RETRY_WINDOW_MS = 20 * BACKOFF.maxMs;

export async function socketsOpenedByFailedConnect(
  connect: (url: string, WebSocketClass: new (url: string) => WebSocket, backoff: typeof BACKOFF) => Promise<unknown>,
  path: string,
): Promise<{ error: unknown; sockets: number }> {
  const port = await closedPort();
  let sockets = 0;
  class CountingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets++;
    }
  }
  const error = await connect(`ws://127.0.0.1:${port}${path}`, CountingWebSocket, BACKOFF).then(
    () => undefined,
    (e: unknown) => e,
  );
  await new Promise((resolve) => setTimeout(resolve, NO_RETRY_WINDOW_MS));
  return { error, sockets };
}
