/**
 * Pings every socket every `heartbeatIntervalMs`; a socket that has not answered (pong, or any
 * frame) within `heartbeatTimeoutMs` is terminated, so dead connections and their presence go away.
 * Live clients answer pings automatically (browsers and `ws` do), so an idle one is never dropped.
 */
import type { WebSocket as WsSocket } from "ws";

export class Heartbeat {
  readonly #sockets = new Map<WsSocket, { onTimeout: () => void; deadline?: NodeJS.Timeout }>();
  #interval: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  start(): void {
    this.#interval ??= setInterval(() => this.#pingAll(), this.intervalMs);
    this.#interval.unref();
  }

  stop(): void {
    clearInterval(this.#interval);
    this.#interval = undefined;
    for (const entry of this.#sockets.values()) clearTimeout(entry.deadline);
    this.#sockets.clear();
  }

  /** Watches `ws` until it closes; `onTimeout` runs just before it is terminated. */
  track(ws: WsSocket, onTimeout: () => void): void {
    const entry: { onTimeout: () => void; deadline?: NodeJS.Timeout } = { onTimeout };
    this.#sockets.set(ws, entry);
    const alive = () => {
      clearTimeout(entry.deadline);
      entry.deadline = undefined;
    };
    ws.on("pong", alive);
    ws.on("message", alive);
    ws.once("close", () => {
      alive();
      this.#sockets.delete(ws);
    });
  }

  #pingAll(): void {
    for (const [ws, entry] of this.#sockets) {
      // A socket the runtime paused (its frames wait for the room) cannot read pongs: judge it later.
      if (entry.deadline || ws.readyState !== ws.OPEN || ws.isPaused) continue;
      entry.deadline = setTimeout(() => {
        entry.deadline = undefined;
        if (ws.isPaused) return;
        entry.onTimeout();
        ws.terminate();
      }, this.timeoutMs);
      entry.deadline.unref();
      ws.ping();
    }
  }
}
