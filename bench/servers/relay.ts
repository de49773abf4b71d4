/**
 * The physical limit: a `ws` server that forwards every frame to the other sockets of its room (the URL
 * path) without decoding it. No Y.Doc, no state: what any Node WebSocket server pays just to fan out.
 */
import { WebSocketServer, type WebSocket } from "ws";
import { announceReady, closeOnSignals } from "./lifecycle.js";

const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });

wss.on("connection", (socket, request) => {
  const name = (request.url ?? "/").split("?")[0] ?? "/";
  const room = rooms.get(name) ?? new Set<WebSocket>();
  rooms.set(name, room);
  room.add(socket);
  socket.on("message", (data, isBinary) => {
    for (const peer of room) if (peer !== socket) peer.send(data, { binary: isBinary });
  });
  socket.on("close", () => {
    room.delete(socket);
    if (room.size === 0) rooms.delete(name);
  });
  socket.on("error", () => socket.terminate());
});

wss.on("listening", () => {
  const address = wss.address();
  if (typeof address === "object" && address) announceReady(address.port);
});

closeOnSignals(
  () =>
    new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    }),
);
