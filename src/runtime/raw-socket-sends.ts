/**
 * The sends of a socket handed out as it is (raw-sockets.ts): its `send` counts each message toward the server's send
 * budget, and paces one over 256 KiB in fragments as a room connection's is (paced-sender.ts), so a ping reaches a
 * client reading a large rooms snapshot after one fragment and the heartbeat does not cut it; its `close` goes behind
 * such a message, and its `bufferedAmount` counts what waits. Its handler (a mounted protocol's session) uses them.
 */
import type { WebSocket as WsSocket } from "ws";
import { CloseCode } from "../protocol/index.js";
import { LargestFrame } from "./largest-frame.js";
import { bytesOf, FRAGMENT_BYTES, PacedSender, Text, type PacedPayload, type SendCallback, type SendOptions, type SocketSend } from "./paced-sender.js";
import type { BufferHolder, SendBudget, SendBufferLimit } from "./send-budget.js";
import { closeFrameReceived, receiverFailed } from "./ws.js";

/** Each handed-out socket's holder, for `unsentBeyondLargestMessage`. */
const holders = new WeakMap<WsSocket, BufferHolder>();

/**
 * A handed-out socket's unsent bytes beyond the largest message it is still writing: what a handler that judges its
 * client's speed compares with its limit, as the runtime's own cap does (a large message's own bytes, a rooms snapshot,
 * are not the client being slow). Any other socket: its `bufferedAmount`.
 */
export function unsentBeyondLargestMessage(ws: WsSocket): number {
  return holders.get(ws)?.unsentBeyondLargestFrame ?? ws.bufferedAmount;
}

/**
 * Counts the socket's sends toward the budget, and paces its large messages (its `send`, `close` and `bufferedAmount`
 * are replaced on the socket: its handler uses them). `closeAtOnce` closes it without waiting for a paced message:
 * the runtime's closes for what the client did (not reading, sending too much) do not wait for it to read.
 */
export function underSendBudget(
  ws: WsSocket,
  budget: SendBudget,
  onFull: (limit: SendBufferLimit) => void,
): { closeAtOnce(code: number, reason: string): void } {
  const largestFrame = new LargestFrame();
  /** Made for the first message over `FRAGMENT_BYTES`, as a room connection's (paced-sender.ts). */
  let paced: PacedSender | undefined;
  const socketBuffered = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(ws), "bufferedAmount")?.get;
  const socketState = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(ws), "readyState")!.get!;
  /** While its own `send` or `close` runs (the paced message's fragments, the close behind it): `ws` reads its state there. */
  let ownCall = false;
  const asSocket = <T>(call: () => T): T => {
    const outer = ownCall;
    ownCall = true;
    try {
      return call();
    } finally {
      ownCall = outer;
    }
  };
  // Closing from its `close` on, also while the close waits behind a paced message, as `ws` says for a close that does
  // not wait: its handler, the send budget and the heartbeat read it (a handler that holds what it cannot deliver once
  // the socket is not open, as the rooms protocol does, would else hand it to a socket that drops it).
  Object.defineProperty(ws, "readyState", {
    get: () => {
      const state = socketState.call(ws);
      return state === ws.OPEN && paced?.closing && !ownCall ? ws.CLOSING : state;
    },
    configurable: true,
  });
  const buffered = (): number => (socketBuffered?.call(ws) ?? 0) + (paced?.heldBytes ?? 0);
  // Its handler reads `ws.bufferedAmount` (a rooms session judges a slow client by it): what waits behind a paced
  // message counts there too.
  Object.defineProperty(ws, "bufferedAmount", { get: buffered, configurable: true });
  const holder: BufferHolder = {
    get bufferedAmount() {
      return buffered();
    },
    get unsentBeyondLargestFrame() {
      const unsent = buffered();
      return unsent - largestFrame.unsent(unsent);
    },
    get readyState() {
      return ws.readyState;
    },
    onceClosed: (listener) => void ws.once("close", listener),
    sendBufferFull: (limit) => {
      if (ws.readyState !== ws.OPEN) return;
      onFull(limit);
      closeAtOnce(CloseCode.SendBufferFull, "Send buffer full");
    },
    terminate: () => ws.terminate(),
  };
  holders.set(ws, holder);
  const socketSend = ws.send.bind(ws) as SocketSend;
  const send: SocketSend = (data, options, done) => asSocket(() => socketSend(data, options, done));
  const socketClose = ws.close.bind(ws);
  const close = (code?: number, reason?: string | Buffer): void => asSocket(() => socketClose(code, reason));
  const isOpen = (): boolean => socketState.call(ws) === ws.OPEN;
  /** The handler is sending a message of its own in fragments (`fin: false`): its next frames continue it as they are. */
  let ownFragments = false;
  ws.send = ((data: unknown, optionsOrDone?: SendOptions | SendCallback, callback?: SendCallback) => {
    const [options, done] = typeof optionsOrDone === "function" ? [undefined, optionsOrDone] : [optionsOrDone, callback];
    // Closed already, for its handler: dropped, as `ws` drops a send after its close.
    if (paced?.closing) return void (done && process.nextTick(done, new Error("WebSocket is not open: readyState 2 (CLOSING)")));
    const bytes = byteLength(data);
    // Not open any more: `ws` fails it, its callback after `send` returned, as for any message.
    const pace = bytes > FRAGMENT_BYTES && ws.readyState === ws.OPEN && !ownFragments && options?.fin !== false && isMessage(data);
    if (pace) (paced ??= new PacedSender(ws, send, isOpen)).send(pacedPayload(data, options), bytes, done);
    else if (paced?.busy) paced.sendAsIs(data, bytes, options, done);
    else send(data, options, done);
    ownFragments = options?.fin === false;
    largestFrame.counted(bytes, buffered());
    budget.afterSend(holder);
  }) as WsSocket["send"];
  // Behind a large message still being written, as its send came first; a second close meanwhile changes nothing, as
  // `ws`'s own while it closes (`closeAtOnce` does not wait; a shutdown's deadline terminates it).
  ws.close = ((code?: number, reason?: string | Buffer) => {
    // `ws` answering its client's close, or what its client broke (1009 past `maxPayload`): at once, as for a room's
    // connection (the rest of the message goes unread).
    if (closeFrameReceived(ws) || receiverFailed(ws)) paced?.abandon();
    if (paced) paced.closeBehind(() => close(code, reason));
    else close(code, reason);
  }) as WsSocket["close"];
  const closeAtOnce = (code: number, reason: string): void => {
    paced?.abandon();
    close(code, reason);
  };
  return { closeAtOnce };
}

function isMessage(data: unknown): data is string | ArrayBuffer | ArrayBufferView {
  return typeof data === "string" || data instanceof ArrayBuffer || ArrayBuffer.isView(data);
}

/** A large message as the paced sender writes it: text or binary as `ws` would send it (`options.binary` decides). */
function pacedPayload(data: string | ArrayBuffer | ArrayBufferView, options: SendOptions | undefined): PacedPayload {
  const bytes = typeof data === "string" ? Buffer.from(data) : bytesOf(data);
  return (options?.binary ?? typeof data !== "string") ? bytes : new Text(bytes);
}

function byteLength(data: unknown): number {
  if (typeof data === "string") return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  if (Array.isArray(data)) return data.reduce((sum: number, part: unknown) => sum + byteLength(part), 0);
  return 0;
}
