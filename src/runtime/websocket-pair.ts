/**
 * Cloudflare Workers' `WebSocketPair` and the `new Response(null, { status: 101, webSocket })` that answers an
 * upgrade with one of its ends, as PartyKit's `onFetch` can (PartyKit's own party.io serves Socket.IO this way).
 * Server bundles get both as globals (the bundler injects them, docs/runtime.md): Node's `Response` refuses
 * status 101. The runtime joins the answered end to the client's real socket (upgrade-handler.ts).
 */

/** What the runtime joins to an end handed out in a Response: the real socket's send and close. */
export interface PairWire {
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code: number, reason: string): void;
}

/** The runtime's side of a handed-out end: what the client's socket delivers to the pair. */
export interface PairPeer {
  message(data: string | ArrayBuffer): void;
  closed(code: number, reason: string): void;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** Where the runtime finds the joining function (a registered symbol: it need not share this module). */
export const ATTACH_WIRE = Symbol.for("yparty.websocketPair.attach");
const RESPONSE_SOCKET = Symbol.for("yparty.websocketPair.response");
/** Where the runtime learns that a pair has closed (either end, whether its events are held or not). */
export const WHEN_CLOSED = Symbol.for("yparty.websocketPair.whenClosed");

type Listener = (event: Event) => void;
type CloseLike = Event & { code: number; reason: string };

/** One end of a pair: a WebSocket whose frames are the other end's sends. */
export class PairedWebSocket extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readyState: number = OPEN;
  binaryType = "arraybuffer";
  onmessage: Listener | null = null;
  onclose: Listener | null = null;
  onerror: Listener | null = null;
  peer!: PairedWebSocket;
  #accepted = false;
  #held: Event[] = [];
  #wire: PairWire | undefined;
  #whenClosed: Array<() => void> = [];

  /** Workers hold an end's events until `accept()`: a handler added after an await misses nothing. */
  accept(): void {
    if (this.#accepted) return;
    this.#accepted = true;
    for (const event of this.#held.splice(0)) this.#fire(event);
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== OPEN) throw new TypeError("WebSocket send() after close");
    // Anything but a string or bytes goes as its string, as from a Workers WebSocket.
    this.peer.#receive(typeof data === "string" ? data : data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? copy(data) : String(data));
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= CLOSING) return;
    this.#ended(code, reason);
    this.peer.#ended(code, reason);
  }

  /** A frame the other end sent: to the real socket when this end was handed out, else an event here. */
  #receive(data: string | ArrayBuffer): void {
    if (this.#wire) this.#wire.send(data);
    else this.#emit(new MessageEvent("message", { data }));
  }

  #ended(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.#wire?.close(code, reason);
    for (const then of this.#whenClosed.splice(0)) then();
    this.#emit(Object.assign(new Event("close"), { code, reason, wasClean: true }));
  }

  #emit(event: Event): void {
    if (this.#accepted || this.#wire) this.#fire(event);
    else this.#held.push(event);
  }

  #fire(event: Event): void {
    this.dispatchEvent(event);
    const handler = event.type === "message" ? this.onmessage : event.type === "close" ? this.onclose : this.onerror;
    handler?.call(this, event);
  }

  /** Calls `then` once this end is closed (at once if it is). */
  [WHEN_CLOSED](then: () => void): void {
    if (this.readyState === CLOSED) then();
    else this.#whenClosed.push(then);
  }

  /** The runtime takes this end over: the other end's sends go to `wire`; the client's frames reach the other end. */
  [ATTACH_WIRE](wire: PairWire): PairPeer {
    this.#wire = wire;
    this.#accepted = true;
    // What the other end sent, and its close (a hook that refuses a socket with a close code), before the hand-over.
    for (const event of this.#held.splice(0)) {
      if (event instanceof MessageEvent) wire.send(event.data as string | ArrayBuffer);
      else if (event.type === "close") wire.close((event as CloseLike).code, (event as CloseLike).reason);
    }
    return {
      message: (data) => {
        if (this.readyState === OPEN) this.peer.#receive(data);
      },
      closed: (code, reason) => this.close(code, reason),
    };
  }
}

function copy(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return view.slice().buffer;
}

/** `new WebSocketPair()`: `0` is the client's end (answered in a 101 Response), `1` the server's (accept it). */
export class WebSocketPair {
  readonly 0: PairedWebSocket;
  readonly 1: PairedWebSocket;
  constructor() {
    const client = new PairedWebSocket();
    const server = new PairedWebSocket();
    client.peer = server;
    server.peer = client;
    this[0] = client;
    this[1] = server;
  }
}

type WorkerResponseInit = ResponseInit & { webSocket?: PairedWebSocket | null };

/**
 * The bundle's `Response`: Node's, which also takes Workers' `{ status: 101, webSocket }` (Node refuses 101).
 * Every Response (a fetch's too) is an instance of it, as of Node's. Made from Node's class when a bundle is
 * evaluated (its injected globals), not when the runtime is imported: reading `globalThis.Response` loads Node's
 * fetch classes, which a server of Yjs rooms never needs (test/runtime/unused-modules.test.ts).
 */
export function workerResponseOf(NodeResponse: typeof Response): typeof Response {
  return class WorkerResponse extends NodeResponse {
    constructor(body?: BodyInit | null, init?: WorkerResponseInit) {
      const socket = init?.webSocket;
      if (socket && init?.status === 101) {
        super(body, { ...init, status: 200 });
        Object.defineProperty(this, RESPONSE_SOCKET, { value: socket });
      } else {
        super(body, init);
      }
    }
    override get status(): number {
      return webSocketOf(this) ? 101 : super.status;
    }
    get webSocket(): PairedWebSocket | null {
      return webSocketOf(this) ?? null;
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof NodeResponse;
    }
  };
}

/** The pair's end a 101 Response hands out, if it is one. */
export function webSocketOf(response: Response): PairedWebSocket | undefined {
  return (response as unknown as Record<symbol, PairedWebSocket | undefined>)[RESPONSE_SOCKET];
}
