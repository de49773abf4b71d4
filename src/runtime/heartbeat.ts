/**
 * Pings every socket every `heartbeatIntervalMs`; a socket that has not answered (pong, or any
 * frame) within `heartbeatTimeoutMs` is terminated, so dead connections and their presence go away.
 * Live clients answer pings automatically (browsers and `ws` do), so an idle one is never dropped.
 *
 * One timer judges a whole round of pings, not one per socket: per socket it keeps three fields on the socket
 * itself and one listener shared by all sockets (`this` is the socket), so an idle connection costs no timer and no
 * closure here. Any sign of life answers a ping: a pong or any other bytes the client sent since (its TCP socket's
 * `bytesRead`, noted at the ping), so no listener per frame or pong is needed either.
 */
import type { Socket } from "node:net";
import type { WebSocket as WsSocket } from "ws";
import type { Logger } from "./log.js";

/** The round whose ping the socket has not answered yet (0: none). A round judges only its own pings. */
const AWAITING = Symbol("yparty.heartbeat.awaiting");
const ON_TIMEOUT = Symbol("yparty.heartbeat.onTimeout");
/** The socket's `bytesRead` when it was last pinged: more since means it answered. */
const READ_AT_PING = Symbol("yparty.heartbeat.readAtPing");

type Tracked = WsSocket & { [AWAITING]: number; [ON_TIMEOUT]: () => void; [READ_AT_PING]: number };

/** Bytes read from the client so far (`ws` keeps its TCP socket as `_socket`). */
const bytesRead = (ws: WsSocket): number => (ws as unknown as { _socket: Socket | null })._socket?.bytesRead ?? 0;
/** The client sent something (a pong, a frame) since its last ping. */
const answered = (ws: Tracked): boolean => bytesRead(ws) > ws[READ_AT_PING];

export class Heartbeat {
  readonly #sockets = new Set<Tracked>();
  #interval: NodeJS.Timeout | undefined;
  /** The timers judging rounds still open (cleared on stop). */
  readonly #rounds = new Set<NodeJS.Timeout>();
  /** One listener for every socket's close. */
  readonly #untrack: (this: Tracked) => void;
  #round = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {
    const sockets = this.#sockets;
    this.#untrack = function (this: Tracked) {
      this[AWAITING] = 0;
      sockets.delete(this);
    };
  }

  start(): void {
    this.#interval ??= setInterval(() => this.#pingAll(), this.intervalMs);
    this.#interval.unref();
  }

  stop(): void {
    clearInterval(this.#interval);
    this.#interval = undefined;
    for (const round of this.#rounds) clearTimeout(round);
    this.#rounds.clear();
    for (const ws of this.#sockets) ws[AWAITING] = 0;
    this.#sockets.clear();
  }

  /** Watches `ws` until it closes; `onTimeout` runs just before it is terminated. */
  track(ws: WsSocket, onTimeout: () => void): void {
    const tracked = ws as Tracked;
    tracked[AWAITING] = 0;
    tracked[ON_TIMEOUT] = onTimeout;
    tracked[READ_AT_PING] = 0;
    this.#sockets.add(tracked);
    // Every tracked socket is a Tracked from here on (the fields above).
    ws.on("close", this.#untrack as (this: WsSocket) => void);
  }

  #pingAll(): void {
    const pinged: Tracked[] = [];
    const round = ++this.#round;
    for (const ws of this.#sockets) {
      // A socket the runtime paused (its frames wait for the room) cannot read pongs: judge it later. One that has
      // not answered its last ping yet is that ping's round's to judge.
      if (ws.readyState !== ws.OPEN || ws.isPaused || (ws[AWAITING] !== 0 && !answered(ws))) continue;
      ws[AWAITING] = round;
      ws[READ_AT_PING] = bytesRead(ws);
      ws.ping();
      pinged.push(ws);
    }
    if (pinged.length === 0) return;
    // Judged one poll phase later: after a stall of the event loop, timers run before the reads, so a pong that
    // already arrived would otherwise be read only after its socket was terminated.
    const timer: NodeJS.Timeout = setTimeout(() => {
      this.#rounds.delete(timer);
      setImmediate(() => this.#judge(pinged, round));
    }, this.timeoutMs);
    timer.unref();
    this.#rounds.add(timer);
  }

  /**
   * Terminates the sockets still silent since this round's ping (a closed one was answered by its close). A socket
   * that answered and was pinged again by a later round is that round's to judge, a full timeout after its ping.
   */
  #judge(pinged: readonly Tracked[], round: number): void {
    for (const ws of pinged) {
      if (ws[AWAITING] !== round) continue;
      ws[AWAITING] = 0;
      if (ws.isPaused || answered(ws)) continue;
      ws[ON_TIMEOUT]();
      ws.terminate();
    }
  }
}

/**
 * What the heartbeat logs when a socket stops answering: one per room (shared by its connections), one per raw
 * socket. Built apart from the upgrade so the callback does not hold its scope (the request, its headers).
 */
export function heartbeatTimeoutLog(logger: Logger, where: { party: string; room: string } | { path: string }): () => void {
  return () => logger.info("connection.heartbeat_timeout", { code: "ERR_HEARTBEAT_TIMEOUT", ...where });
}
