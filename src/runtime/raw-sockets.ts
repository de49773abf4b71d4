/**
 * Sockets the runtime hands out as they are (a mounted socket's handler, the main party's `onSocket`, the client's
 * end of a `WebSocketPair` answered from `onFetch`): closed with the server, those served by party code also at a
 * `dev` reload, pinged by the heartbeat, and under the same send budget as room connections: each send is counted
 * toward `limits.maxBufferedBytes`, and a socket whose unsent bytes pass `limits.maxSendBufferBytes` beyond its
 * largest frame is closed with 4008, as a room connection would be. Their handlers send with `ws.send` directly, so
 * it is that method that counts (raw-socket-sends.ts), and paces a large message as a room connection's is.
 */
import type { WebSocket as WsSocket } from "ws";
import { CloseCode } from "../protocol/index.js";
import type { ServerCore } from "./core.js";
import { heartbeatTimeoutLog } from "./heartbeat.js";
import { underSendBudget } from "./raw-socket-sends.js";
import { closeSocketsWithin } from "./socket-close.js";
import { ignoreError } from "./ws.js";

/**
 * Who serves a raw socket: the party's code (`onSocket`, a `WebSocketPair` end), which a reload replaces, so its
 * sockets close then (as workerd ends every socket of the code it reloads); or a handler mounted with
 * `createServer({ sockets })`, which outlives a reload (its in-process room connections are told by their rooms).
 */
export type RawSocketServer = "party" | "mount";

interface RawSocket {
  readonly servedBy: RawSocketServer;
  /** What the heartbeat calls before it terminates the socket for its silence (logs its path). */
  readonly onTimeout: () => void;
}

/** The one owner of the raw sockets still open: the heartbeat pings them, a reload and the shutdown close them. */
export class RawSockets {
  readonly #open = new Map<WsSocket, RawSocket>();
  /** How many times party code's sockets were closed (reloads, the shutdown), and the last such close. */
  #partyCloses = 0;
  #lastPartyClose = { code: 1000, reason: "" };

  /**
   * Read before a hook that may answer with a socket (`onFetch`'s WebSocketPair end), and given to `add`: a socket
   * whose hook began before a reload is the old code's, and is closed as the reload closed the others.
   */
  get epoch(): number {
    return this.#partyCloses;
  }

  add(ws: WsSocket, socket: RawSocket, epoch?: number): void {
    this.#open.set(ws, socket);
    ws.once("close", () => this.#open.delete(ws));
    if (socket.servedBy === "party" && epoch !== undefined && epoch !== this.#partyCloses) {
      ws.close(this.#lastPartyClose.code, this.#lastPartyClose.reason);
    }
  }

  visit(visit: (ws: WsSocket, onTimeout: () => void) => void): void {
    for (const [ws, { onTimeout }] of this.#open) visit(ws, onTimeout);
  }

  /** Closes those `servedBy` (all when absent) with `code`: waits for their clients at most `ms`, then cuts them. */
  close(code: number, reason: string, ms: number, servedBy?: RawSocketServer): Promise<void> {
    if (servedBy !== "mount") {
      this.#partyCloses++;
      this.#lastPartyClose = { code, reason };
    }
    const closing = [...this.#open].filter(([, socket]) => servedBy === undefined || socket.servedBy === servedBy);
    const close = (ws: WsSocket): void => {
      if (ws.isPaused) ws.resume(); // still waiting for onSocket to listen: it must read the client's close
      ws.close(code, reason);
    };
    return closeSocketsWithin(
      closing.map(([ws]) => ({ ws, close: () => close(ws) })),
      ms,
    );
  }
}

/** Takes on a socket handed out as it is, at `path`: its errors are its own, and the server closes, pings and budgets it. */
export function adoptRawSocket(core: ServerCore, ws: WsSocket, path: string, servedBy: RawSocketServer, epoch?: number): void {
  ws.on("error", ignoreError);
  core.rawSockets.add(ws, { servedBy, onTimeout: heartbeatTimeoutLog(core.logger, { path }) }, epoch);
  const { closeAtOnce } = underSendBudget(ws, core.sendBudget, (limit) =>
    core.logger.warn("socket.send_buffer_full", { code: "ERR_SEND_BUFFER_FULL", path, bufferedAmount: ws.bufferedAmount, limit }),
  );
  core.frameBudget.watch(ws, (_socket, code, reason) => {
    core.logger.warn("socket.incoming_refused", {
      code: code === CloseCode.MessageTooBig ? "ERR_MESSAGE_TOO_BIG" : "ERR_SERVER_BUSY",
      path,
      limit: core.limits.maxFrameBytesInFlight,
    });
    closeAtOnce(code, reason);
  });
}
