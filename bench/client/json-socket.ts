/** Plain `ws` sockets speaking JSON text frames, for the benches of the JSON protocols (rooms, game). */
import WebSocket from "ws";

export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** The next frame of `ws` that `match` accepts, parsed. */
export function nextJsonFrame(ws: WebSocket, match: (frame: any) => boolean): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const frame = JSON.parse(data.toString());
      if (!match(frame)) return;
      ws.off("message", onMessage);
      resolve(frame);
    };
    ws.on("message", onMessage);
  });
}
