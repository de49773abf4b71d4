/**
 * The physical limit: a `ws` server that forwards every frame to the other sockets of its room (the URL
 * path) without decoding it. No Y.Doc, no state: what any Node WebSocket server pays just to fan out.
 *
 * `--answer-sync`: the same relay, but it also does the sync handshake with canned frames (its step 1 when a
 * socket opens, an empty step 2 to a client's step 1; a client's step 2 is dropped). Its clients then do the
 * handshake a document server's clients do, so a connect costs the harness the same (the plain relay's clients
 * count a connect as synced when the socket opens). It still reads no more than a frame's first two bytes.
 */
import { WebSocketServer, type WebSocket } from "ws";
import { announceReady, closeOnSignals } from "./lifecycle.js";

const answersSync = process.argv.includes("--answer-sync");
/** y-protocols: sync (0) step 1 (0) of an empty state vector; sync step 2 (1) of an empty update. */
const EMPTY_STEP1 = Uint8Array.of(0, 0, 1, 0);
const EMPTY_STEP2 = Uint8Array.of(0, 1, 2, 0, 0);
const SYNC = 0;
const STEP1 = 0;
const STEP2 = 1;

/** Answers a handshake frame (true) or leaves the frame to be forwarded (false). */
function answeredHandshake(socket: WebSocket, data: Buffer): boolean {
  if (!answersSync || data[0] !== SYNC) return false;
  if (data[1] === STEP1) socket.send(EMPTY_STEP2);
  return data[1] === STEP1 || data[1] === STEP2;
}

const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });

wss.on("connection", (socket, request) => {
  const name = (request.url ?? "/").split("?")[0] ?? "/";
  const room = rooms.get(name) ?? new Set<WebSocket>();
  rooms.set(name, room);
  room.add(socket);
  if (answersSync) socket.send(EMPTY_STEP1);
  socket.on("message", (data: Buffer, isBinary) => {
    if (answeredHandshake(socket, data)) return;
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
