/**
 * The physical limit: a `ws` server that forwards every frame to the other sockets of its room (the URL
 * path) without decoding it. No Y.Doc, no state: what any Node WebSocket server pays just to fan out.
 *
 * `--answer-sync`: the same relay, but it also does the sync handshake with canned frames (its step 1 when a
 * socket opens, an empty step 2 to a client's step 1; a client's step 2 is dropped). Its clients then do the
 * handshake a document server's clients do, so a connect costs the harness the same (the plain relay's clients
 * count a connect as synced when the socket opens). It still reads no more than a frame's first two bytes.
 *
 * `--apply`: the least a server that validates before it relays can do. Each room keeps a plain `Y.Doc`; a
 * client's update is applied to it, and forwarded as it came only if Yjs took it (a frame that throws is dropped).
 * The handshake is answered from that document. No persistence, no listeners, no checks of its own, no
 * re-encoding: the same frames on the wire as the relay, plus Yjs's decode and integrate of every update.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { WebSocketServer, type WebSocket } from "ws";
import * as Y from "yjs";
import { announceReady, closeOnSignals } from "./lifecycle.js";

const SYNC = 0;
const STEP1 = 0;
const STEP2 = 1;
const UPDATE = 2;

/** What a relay does with the frames of one room: the first a socket gets, and whether one goes to the others. */
interface RoomFrames {
  greeting(): Uint8Array | null;
  /** Answers or takes a frame (false), or leaves it to be forwarded (true). */
  forwards(socket: WebSocket, data: Buffer): boolean;
}

const plainFrames: RoomFrames = { greeting: () => null, forwards: () => true };

/** y-protocols: sync (0) step 1 (0) of an empty state vector; sync step 2 (1) of an empty update. */
const EMPTY_STEP1 = Uint8Array.of(0, 0, 1, 0);
const EMPTY_STEP2 = Uint8Array.of(0, 1, 2, 0, 0);

const cannedHandshake: RoomFrames = {
  greeting: () => EMPTY_STEP1,
  forwards(socket, data) {
    if (data[0] !== SYNC) return true;
    if (data[1] === STEP1) socket.send(EMPTY_STEP2);
    return data[1] !== STEP1 && data[1] !== STEP2;
  },
};

function syncFrame(step: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, SYNC);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

function appliedDocument(): RoomFrames {
  const doc = new Y.Doc();
  return {
    greeting: () => syncFrame(STEP1, Y.encodeStateVector(doc)),
    forwards(socket, data) {
      if (data[0] !== SYNC) return true;
      try {
        const decoder = decoding.createDecoder(data);
        decoding.readVarUint(decoder);
        const step = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (step === STEP1) {
          socket.send(syncFrame(STEP2, Y.encodeStateAsUpdate(doc, payload)));
          return false;
        }
        Y.applyUpdate(doc, payload);
        return step === UPDATE;
      } catch {
        return false;
      }
    },
  };
}

const framesOf: () => RoomFrames = process.argv.includes("--apply")
  ? appliedDocument
  : process.argv.includes("--answer-sync")
    ? () => cannedHandshake
    : () => plainFrames;

interface Room {
  sockets: Set<WebSocket>;
  frames: RoomFrames;
}

const rooms = new Map<string, Room>();
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });

wss.on("connection", (socket, request) => {
  const name = (request.url ?? "/").split("?")[0] ?? "/";
  let room = rooms.get(name);
  if (!room) {
    room = { sockets: new Set(), frames: framesOf() };
    rooms.set(name, room);
  }
  const { sockets, frames } = room;
  sockets.add(socket);
  const greeting = frames.greeting();
  if (greeting) socket.send(greeting);
  socket.on("message", (data: Buffer, isBinary) => {
    if (!frames.forwards(socket, data)) return;
    for (const peer of sockets) if (peer !== socket) peer.send(data, { binary: isBinary });
  });
  socket.on("close", () => {
    sockets.delete(socket);
    if (sockets.size === 0) rooms.delete(name);
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
