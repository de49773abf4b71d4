/**
 * Pings every socket every `heartbeatIntervalMs`; a socket that has not answered (pong, or any
 * frame) within `heartbeatTimeoutMs` is terminated, so dead connections and their presence go away.
 * Live clients answer pings automatically (browsers and `ws` do), so an idle one is never dropped.
 *
 * Per socket it keeps two fields on the socket itself and shares its listeners between all sockets
 * (`this` is the socket), so an idle connection costs no closures here.
 */
import type { WebSocket as WsSocket } from "ws";

const DEADLINE = Symbol("yparty.heartbeat.deadline");
const ON_TIMEOUT = Symbol("yparty.heartbeat.onTimeout");

type Tracked = WsSocket & { [DEADLINE]: NodeJS.Timeout | undefined; [ON_TIMEOUT]: () => void };

/** Any sign of life (pong, frame, close) cancels the pending deadline. */
function markAlive(this: Tracked): void {
  if (this[DEADLINE] === undefined) return;
  clearTimeout(this[DEADLINE]);
  this[DEADLINE] = undefined;
}

export class Heartbeat {
  readonly #sockets = new Set<Tracked>();
  #interval: NodeJS.Timeout | undefined;
  /** One listener for every socket's close. */
  readonly #untrack: (this: Tracked) => void;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {
    const sockets = this.#sockets;
    this.#untrack = function (this: Tracked) {
      markAlive.call(this);
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
    for (const ws of this.#sockets) markAlive.call(ws);
    this.#sockets.clear();
  }

  /** Watches `ws` until it closes; `onTimeout` runs just before it is terminated. */
  track(ws: WsSocket, onTimeout: () => void): void {
    const tracked = ws as Tracked;
    tracked[DEADLINE] = undefined;
    tracked[ON_TIMEOUT] = onTimeout;
    this.#sockets.add(tracked);
    // Every tracked socket is a Tracked from here on (the fields above).
    ws.on("pong", markAlive as (this: WsSocket) => void);
    ws.on("message", markAlive as (this: WsSocket) => void);
    ws.on("close", this.#untrack as (this: WsSocket) => void);
  }

  #pingAll(): void {
    for (const ws of this.#sockets) {
      // A socket the runtime paused (its frames wait for the room) cannot read pongs: judge it later.
      if (ws[DEADLINE] !== undefined || ws.readyState !== ws.OPEN || ws.isPaused) continue;
      // Judged one poll phase later: after a stall of the event loop, timers run before the reads, so a pong that
      // already arrived would otherwise be read only after its socket was terminated.
      const deadline: NodeJS.Timeout = setTimeout(() => setImmediate(() => {
        if (ws[DEADLINE] !== deadline) return; // a pong or frame came in that poll phase
        ws[DEADLINE] = undefined;
        if (ws.isPaused) return;
        ws[ON_TIMEOUT]();
        ws.terminate();
      }), this.timeoutMs);
      deadline.unref();
      ws[DEADLINE] = deadline;
      ws.ping();
    }
  }
}
