/**
 * The requests of one socket, pipelined ones included (HTTP/1.1: written at once, answered in order). Node hands a
 * pipelined request over while the one before it is still being answered, and only queues its answer: handled at
 * once, a GET pipelined behind the POST that creates a room looked the room up before it existed (404). Each request
 * of a socket is handled once the one before it is answered, as if the client had waited for each answer.
 *
 * Node stops reading a socket whose queued answers pile up; requests waiting for their turn write nothing, so that
 * never happened: a client pipelining tiny GETs behind a slow answer had the server hold every one of them (~2.4 KB
 * each: 200 000 requests, 470 MB of heap). Once `MAX_WAITING_REQUESTS` wait, the socket is read no further until
 * their turns come (what Node had read already is parsed: at most one read, ~64 KB of requests, beyond the limit).
 */
import type { Socket } from "node:net";

/** Requests of one socket handed over and not answered yet past which the socket is not read any further. */
export const MAX_WAITING_REQUESTS = 16;

/** One request's place in its socket's line: `ready` once the ones before are answered; `done()` once it is. */
export interface Turn {
  /** Never rejects. */
  ready: Promise<void>;
  /** Ends the turn; returns how many requests of the socket are still in line. */
  done(): number;
}

const TURNS = Symbol("yparty.socketTurns");
type TurnsSocket = Socket & { [TURNS]?: SocketTurns };

/** A place in line for a request of `socket`. */
export function takeTurn(socket: Socket): Turn {
  const owner = socket as TurnsSocket;
  return (owner[TURNS] ??= new SocketTurns(socket)).enter();
}

class SocketTurns {
  readonly #socket: Socket;
  /** Settles when the last request handed over so far is answered. */
  #last: Promise<void> = Promise.resolve();
  /** Requests handed over and not answered yet. */
  #inFlight = 0;
  /** Reading is held back: too many requests wait. */
  #holding = false;
  /**
   * Anything may resume the socket meanwhile (Node when an answer's bytes drain, a body being read): paused again
   * before it reads (`resume` is emitted before the stream flows).
   */
  readonly #keepPaused = () => {
    if (this.#holding) this.#socket.pause();
  };
  /**
   * The server ended its side (a `Connection: close` answer, a shutdown): no request waiting can be answered any more,
   * and the socket, not read, would never see its client close it (a closing server waited its whole timeout for it).
   */
  readonly #writeEnded = () => {
    if (this.#holding) this.#socket.destroy();
  };

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  enter(): Turn {
    const ready = this.#last;
    let answered!: () => void;
    this.#last = new Promise((resolve) => (answered = resolve));
    this.#inFlight++;
    if (this.#inFlight > MAX_WAITING_REQUESTS && !this.#holding) this.#hold();
    let ended = false;
    return {
      ready,
      done: () => {
        if (!ended) {
          ended = true;
          this.#inFlight--;
          answered();
          if (this.#holding && this.#inFlight <= MAX_WAITING_REQUESTS) this.#release();
        }
        return this.#inFlight;
      },
    };
  }

  #hold(): void {
    this.#holding = true;
    if (this.#socket.writableEnded) return this.#writeEnded();
    this.#socket.on("resume", this.#keepPaused);
    this.#socket.once("finish", this.#writeEnded);
    this.#socket.pause();
  }

  #release(): void {
    this.#holding = false;
    this.#socket.off("resume", this.#keepPaused);
    this.#socket.off("finish", this.#writeEnded);
    this.#socket.resume();
  }
}
