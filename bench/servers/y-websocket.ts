/** The y-websocket server (`@y/websocket-server` 0.1.1), in memory: `setupWSConnection` on a `ws` server. */
import { createServer } from "node:http";
import { setupWSConnection } from "@y/websocket-server/utils";
import { WebSocketServer } from "ws";
import { announceReady, closeOnSignals } from "./lifecycle.js";

// No persistence and no HTTP callback: the plain in-memory server people start with `npx y-websocket`.
delete process.env.YPERSISTENCE;
delete process.env.CALLBACK_URL;

const http = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("ok");
});
const wss = new WebSocketServer({ noServer: true });
wss.on("connection", (socket, request) => setupWSConnection(socket, request));
http.on("upgrade", (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
});

http.listen(0, "127.0.0.1", () => {
  const address = http.address();
  if (typeof address === "object" && address) announceReady(address.port);
});

closeOnSignals(
  () =>
    new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      http.close(() => resolve());
    }),
);
