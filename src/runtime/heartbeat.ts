/**
 * Pings every socket every `heartbeatIntervalMs`; a socket that has not answered (pong, or any
 * frame) within `heartbeatTimeoutMs` is terminated, so dead connections and their presence go away.
 * Live clients answer pings automatically (browsers and `ws` do), so an idle one is never dropped.
 *
 * It keeps no list of its own: each round it asks its owner for the sockets to ping (the rooms' connections, the
 * raw sockets), so a connect costs it nothing. One timer judges a whole round of pings, not one per socket; a
 * pinged socket carries two fields (its round and its `bytesRead` then). Any sign of life answers a ping: a pong or
 * any other bytes the client sent since (its TCP socket's `bytesRead`, noted at the ping), so no listener per
 * frame, pong or close is needed either.
 */
import type { WebSocket as WsSocket } from "ws";
import type { Logger } from "./log.js";
import { tcpSocketOf } from "./ws.js";

/** The round whose ping the socket has not answered yet (0 or absent: none). A round judges only its own pings. */
const AWAITING = Symbol("yparty.heartbeat.awaiting");
/** The socket's `bytesRead` when it was last pinged: more since means it answered. */
const READ_AT_PING = Symbol("yparty.heartbeat.readAtPing");

type Tracked = WsSocket & { [AWAITING]?: number; [READ_AT_PING]?: number };

/** Calls `visit` for every socket to watch, with what to call just before it is terminated for its silence. */
export type WatchedSockets = (visit: (ws: WsSocket, onTimeout: () => void) => void) => void;

/** Bytes read from the client so far. */
const bytesRead = (ws: WsSocket): number => tcpSocketOf(ws)?.bytesRead ?? 0;
/** The client sent something (a pong, a frame) since its last ping. */
const answered = (ws: Tracked): boolean => bytesRead(ws) > (ws[READ_AT_PING] ?? 0);

/** One round's pings: the sockets and, at the same index, what their silence calls. */
interface Round {
  readonly id: number;
  readonly sockets: Tracked[];
  readonly onTimeouts: Array<() => void>;
}

export class Heartbeat {
  #interval: NodeJS.Timeout | undefined;
  /** The timers judging rounds still open, with their rounds (cleared on stop). */
  readonly #rounds = new Map<NodeJS.Timeout, Round>();
  #round = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly watched: WatchedSockets,
  ) {}

  start(): void {
    this.#interval ??= setInterval(() => this.#pingAll(), this.intervalMs);
    this.#interval.unref();
  }

  stop(): void {
    clearInterval(this.#interval);
    this.#interval = undefined;
    for (const [timer, round] of this.#rounds) {
      clearTimeout(timer);
      for (const ws of round.sockets) ws[AWAITING] = 0;
    }
    this.#rounds.clear();
  }

  #pingAll(): void {
    const round: Round = { id: ++this.#round, sockets: [], onTimeouts: [] };
    this.watched((socket, onTimeout) => {
      const ws = socket as Tracked;
      // A socket the runtime paused (its frames wait for the room) cannot read pongs: judge it later. One that has
      // not answered its last ping yet is that ping's round's to judge.
      if (ws.readyState !== ws.OPEN || ws.isPaused || ((ws[AWAITING] ?? 0) !== 0 && !answered(ws))) return;
      ws[AWAITING] = round.id;
      ws[READ_AT_PING] = bytesRead(ws);
      ws.ping();
      round.sockets.push(ws);
      round.onTimeouts.push(onTimeout);
    });
    if (round.sockets.length === 0) return;
    // Judged one poll phase later: after a stall of the event loop, timers run before the reads, so a pong that
    // already arrived would otherwise be read only after its socket was terminated.
    const timer: NodeJS.Timeout = setTimeout(() => {
      this.#rounds.delete(timer);
      setImmediate(() => this.#judge(round));
    }, this.timeoutMs);
    timer.unref();
    this.#rounds.set(timer, round);
  }

  /**
   * Terminates the sockets still silent since this round's ping (a closed one was answered by its close). A socket
   * that answered and was pinged again by a later round is that round's to judge, a full timeout after its ping.
   */
  #judge({ id, sockets, onTimeouts }: Round): void {
    for (let i = 0; i < sockets.length; i++) {
      const ws = sockets[i] as Tracked;
      if (ws[AWAITING] !== id) continue;
      ws[AWAITING] = 0;
      if (ws.readyState === ws.CLOSED || ws.isPaused || answered(ws)) continue;
      (onTimeouts[i] as () => void)();
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
