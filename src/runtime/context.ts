/**
 * What user code gets besides its room: `room.context` / `lobby.parties` (stubs reaching other rooms
 * in this process), the lobbies handed to the static hooks, and their ExecutionContext.
 */
import { randomBytes } from "node:crypto";
import { WebSocket } from "./ws.js";
import type { Logger } from "./log.js";
import { roomPath } from "./room-names.js";
import type { Context, ExecutionContext, FetchLobby, Lobby, Stub } from "./party-types.js";
import { StubSockets } from "./stub-sockets.js";
import { missingBindings, unavailableBinding } from "./unavailable-binding.js";

/** Reaches rooms of this server (provided by the server: registry and bound address). */
export interface RoomDirectory {
  /** Runs the request through the room's `onRequest` (no `onBeforeRequest`, as on PartyKit). */
  fetchRoom(party: string, roomId: string, request: Request): Promise<Response>;
  /** The server's base URL, e.g. `http://127.0.0.1:1999`. */
  baseUrl(): string;
}

/**
 * Serves the project's static assets (the CLI's `serve` folder): a Response for a GET or HEAD it has a file for,
 * else nothing. The server answers paths outside the parties with it (after `routes`, before `onFetch`), and
 * `assets.fetch(path)` of lobbies and rooms asks it.
 */
export type AssetHandler = (request: Request) => Response | undefined | Promise<Response | undefined>;

/**
 * What `stub.fetch` answers for a request that carries `Upgrade: websocket`, where a Durable Object answers 101 with
 * the socket on PartyKit: returned from `onBeforeConnect` (or from the main party's `onFetch` for a socket to a path
 * outside the parties), it connects the client's socket to that room — its `onConnect`, with this request as
 * `ctx.request`. It holds nothing until then; answering a plain HTTP request with it is a 500.
 */
export interface WebSocketHandoff extends Response {
  readonly party: string;
  readonly roomId: string;
  readonly request: Request;
}

type HandoffClass = new (party: string, roomId: string, request: Request) => WebSocketHandoff;
let handoffClass: HandoffClass | undefined;

/**
 * The class is made on first use, not as this module loads: `extends Response` loads Node's fetch classes (undici,
 * ~40 ms), which a server whose sockets never meet user hooks (the built-in Yjs party) does not need to start or serve.
 */
function handoffClassNow(): HandoffClass {
  return (handoffClass ??= class extends Response implements WebSocketHandoff {
    constructor(
      readonly party: string,
      readonly roomId: string,
      readonly request: Request,
    ) {
      super(null, { status: 200 });
    }
    /** 101 Switching Protocols, as the Durable Object's answer reads on PartyKit. */
    override get status(): number {
      return 101;
    }
    override get ok(): boolean {
      return false;
    }
  });
}

export function webSocketHandoff(party: string, roomId: string, request: Request): WebSocketHandoff {
  return new (handoffClassNow())(party, roomId, request);
}

export function isWebSocketHandoff(value: unknown): value is WebSocketHandoff {
  return handoffClass !== undefined && value instanceof handoffClass;
}

function isUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** Header that marks a `stub.socket()` connection: it skips `onBeforeConnect`, as PartyKit's stubs do. */
export const INTERNAL_SOCKET_HEADER = "x-yparty-internal";

export class PartyContext {
  /** A per-server secret, so clients cannot claim to be an internal socket. */
  readonly internalToken = randomBytes(16).toString("hex");
  readonly parties: Context["parties"] = {};
  readonly context: Context;
  readonly #pending = new Set<Promise<unknown>>();
  /** The sockets stubs opened since the last reload (the running code's): the next reload and the shutdown close them. */
  #stubSockets = new StubSockets();

  constructor(
    private readonly directory: RoomDirectory,
    readonly env: Record<string, unknown>,
    private readonly logger: Logger,
    private readonly assets?: AssetHandler,
  ) {
    this.context = {
      parties: this.parties,
      ai: unavailableBinding("ai", missingBindings.ai),
      vectorize: unavailableBinding("vectorize", missingBindings.vectorize),
      assets: { fetch: (path) => this.#fetchAsset(path) },
      bindings: { r2: unavailableBinding("bindings.r2", missingBindings.r2), kv: unavailableBinding("bindings.kv", missingBindings.kv) },
    };
  }

  /** Makes `parties` list exactly these party names (after a reload too: the object stays the same). */
  setPartyNames(names: string[]): void {
    for (const name of Object.keys(this.parties)) delete this.parties[name];
    for (const name of names) this.parties[name] = { get: (id: string) => this.#stub(name, id, this.#stubSockets) }; // the code running when called
  }

  /** What one opener's stubs open, to close with it (a room instance, a request: request-scope.ts, a served socket). */
  stubScope(): StubSockets {
    return new StubSockets(this.#stubSockets);
  }

  /**
   * A reload: the sockets stubs opened so far are the old code's. Returns them (to close once its rooms have stopped:
   * their onStop may still send through theirs); what stubs open from now on is the new code's.
   */
  reloaded(): StubSockets {
    const old = this.#stubSockets;
    this.#stubSockets = new StubSockets();
    return old;
  }

  /** The shutdown: closes every socket a stub opened, and any opened later once it is open. */
  closeStubSockets(code: number, reason: string): void {
    this.#stubSockets.close(code, reason, true);
  }

  /** `room.context` of one room instance: its stubs open their sockets in `scope`. */
  roomContext(scope: StubSockets): Context {
    return { ...this.context, parties: this.#partiesOf(scope) };
  }

  /** The lobby of a worker hook; with `scope`, the sockets its stubs open are that scope's. */
  fetchLobby(scope?: StubSockets): FetchLobby {
    const { ai, vectorize, assets, bindings } = this.context;
    const parties = scope ? this.#partiesOf(scope) : this.parties;
    return { env: this.env, ai, vectorize, assets, bindings, parties, analytics: { writeDataPoint: () => {} } };
  }

  #partiesOf(scope: StubSockets): Context["parties"] {
    return Object.fromEntries(Object.keys(this.parties).map((name) => [name, { get: (id: string) => this.#stub(name, id, scope) }]));
  }

  lobby(roomId: string): Lobby {
    return { ...this.fetchLobby(), id: roomId };
  }

  /**
   * `ctx.waitUntil` promises are kept (and their failures logged) until the server closes; `onWork` is told of each (the
   * request it belongs to lives until they settle: request-scope.ts).
   */
  executionContext(onWork?: (work: Promise<unknown>) => void): ExecutionContext {
    return {
      waitUntil: (promise) => {
        const tracked = Promise.resolve(promise).catch((error) => this.logger.error("worker.wait_until_failed", { code: "ERR_INTERNAL", error }));
        this.#pending.add(tracked);
        void tracked.finally(() => this.#pending.delete(tracked));
        onWork?.(tracked);
      },
      passThroughOnException: () => {},
    };
  }

  /** PartyKit's `assets.fetch(path)`: a GET of `path` from the assets, or null when there is no such file. */
  async #fetchAsset(path: string): Promise<Response | null> {
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw new TypeError(`assets.fetch: the path must start with "/" (as on PartyKit), got ${JSON.stringify(path)}`);
    }
    if (!this.assets) return null;
    return (await this.assets(new Request(this.directory.baseUrl() + path))) ?? null;
  }

  async settle(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  #stub(party: string, roomId: string, sockets: StubSockets): Stub {
    const base = roomPath(party, roomId);
    const urlOf = (path: unknown, protocol: "http" | "ws") => {
      const suffix = typeof path === "string" && path !== "" ? (path.startsWith("/") ? path : `/${path}`) : "";
      return this.directory.baseUrl().replace(/^http/, protocol) + base + suffix;
    };
    const openSocket = (pathOrInit?: string | RequestInit, init?: RequestInit) => {
      const options = typeof pathOrInit === "object" ? pathOrInit : init;
      const headers = Object.fromEntries(new Headers(options?.headers));
      const socket = new WebSocket(urlOf(pathOrInit, "ws"), { headers: { ...headers, [INTERNAL_SOCKET_HEADER]: this.internalToken } });
      socket.binaryType = "arraybuffer"; // binary messages as a Workers WebSocket gives them (and onMessage here)
      sockets.track(socket);
      return socket;
    };
    return {
      fetch: (pathOrInit?: string | RequestInit | Request, init?: RequestInit | Request) => {
        const url = urlOf(pathOrInit, "http");
        const request =
          pathOrInit instanceof Request
            ? new Request(url, pathOrInit)
            : new Request(url, (typeof pathOrInit === "object" ? pathOrInit : init) as RequestInit | undefined);
        if (isUpgrade(request)) return Promise.resolve(webSocketHandoff(party, roomId, request));
        return this.directory.fetchRoom(party, roomId, request);
      },
      socket: (pathOrInit?: string | RequestInit, init?: RequestInit) => opened(openSocket(pathOrInit, init)),
      connect: () => openSocket() as unknown as globalThis.WebSocket,
    };
  }
}

function opened(ws: WebSocket): Promise<globalThis.WebSocket> {
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws as unknown as globalThis.WebSocket));
    ws.once("error", reject);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`The room refused the socket: HTTP ${res.statusCode}`)));
  });
}
