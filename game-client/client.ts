/**
 * `yparty/game-client`: a typed, browser-safe client of the game protocol (seed 002, docs/game.md). One WebSocket
 * per player: `session.connect` first, requests correlated by `cid` (with timeouts and typed errors), a heartbeat,
 * events by message type, and a reconnect with backoff that connects the session again and rejoins the match and
 * chat channels the client was in (and repeats its presence).
 */
import { backoffDelay } from "../provider/backoff.js";
import { lostConnectionReason, webSocketConstructor, type WebSocketLike } from "../rooms-client/socket.js";
import { GameRequestError } from "./errors.js";
import {
  ClientMessageType as C,
  GameCloseCode,
  ServerMessageType as S,
  type ChatMessage,
  chatMessageIdentity,
  type ClientMessages,
  type GameFrame,
  type MatchInput,
  type PresenceUpdate,
  type RequestResults,
  type RequestType,
  type ServerMessages,
} from "../src/game/messages.js";
import { apiUrlFor, GameApi, resolveToken, type TokenSource } from "./rest.js";

export interface GameConnectOptions {
  /** The token of `session.connect` and of the REST API (a function is asked again at every reconnect). */
  token: TokenSource;
  /** For Node 20, which has no global WebSocket: `(await import("ws")).WebSocket`. */
  WebSocket?: unknown;
  /** The REST API's base URL; default: the socket's host, path `/api`. */
  apiUrl?: string;
  fetch?: typeof fetch;
  /** A request with no answer for this long rejects with kind `timeout` (default 10 s). */
  requestTimeoutMs?: number;
  /**
   * `session.heartbeat` is sent this often (default 10 s; the server closes a session silent for 30 s). A heartbeat
   * not answered within `requestTimeoutMs`, with nothing else heard meanwhile, counts the connection as dead.
   */
  heartbeatMs?: number;
  /** Reconnect after a lost connection (default true), waiting `initialMs` doubling to `maxMs` (250 ms, 10 s). */
  reconnect?: boolean;
  backoff?: { initialMs?: number; maxMs?: number };
}

export type GameStatus = "connecting" | "open" | "reconnecting" | "closed";
export interface StatusEvent {
  status: GameStatus;
  /** The close code that led here, if any (see `GameCloseCode`). */
  code?: number;
  reason?: string;
}

/**
 * An `error` event: an `error` of the server that answers no request (its `code` one of `GameErrorCode`; none from a
 * server older than error codes), or the client's own: a restore after a reconnect that failed (the server's `code`
 * when it refused), a frame it could not read, a token function that threw (no `code`).
 */
export interface GameErrorEvent {
  code?: number;
  reason: string;
}

/** What `on` listens to: every server message type by its payload, and the client's own `status`. */
export type GameClientEvents<State = unknown> = Omit<ServerMessages<State>, "error"> & { error: GameErrorEvent; status: StatusEvent };

/** Close codes after which reconnecting cannot help (or would fight the socket that replaced this one). */
const FINAL_CODES = new Set<number>([GameCloseCode.BadRequest, GameCloseCode.Unauthorized, GameCloseCode.Replaced]);

interface Pending {
  type: string;
  resolve(payload: unknown): void;
  reject(error: GameRequestError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Connects and resolves once the session is connected; if the first connection fails, closes the client and rejects. */
export function connect<State = unknown>(url: string, options: GameConnectOptions): Promise<GameClient<State>> {
  const client = new GameClient<State>(url, options);
  return client.opened.then(
    () => client,
    (error: unknown) => {
      client.close(); // nobody holds it: it must not go on retrying
      throw error;
    },
  );
}

export class GameClient<State = unknown> {
  /** Set by `session.connected`. */
  playerId: string | undefined;
  status: GameStatus = "connecting";
  /** The match this client joined (rejoined after a reconnect) until it leaves or the match finishes. */
  matchId: string | undefined;
  /** The chat channels this client joined (rejoined after a reconnect). */
  readonly channels = new Set<string>();
  /** Resolves at the first `session.connected`; rejects if the first connection fails. */
  readonly opened: Promise<void>;
  readonly api: GameApi;

  readonly matchmaker = {
    /** Resolves with the ticket id; `matchmaker.matched` comes as an event. */
    add: async (mode: string, properties: Record<string, unknown> = {}): Promise<string> =>
      (await this.request(C.MatchmakerAdd, { mode, properties })).ticket_id,
    remove: (ticketId: string) => this.request(C.MatchmakerRemove, { ticket_id: ticketId }),
  };
  readonly match = {
    join: async (matchId: string) => {
      this.#finishedLeave = undefined;
      const answer = await this.request(C.MatchJoin, { match_id: matchId });
      this.matchId = matchId;
      return answer;
    },
    /** Inputs are not acknowledged (they are many): false when not connected; a refused one comes as an `error` event. */
    input: (input: MatchInput): boolean => this.send(C.MatchInput, input),
    leave: () => {
      const left = this.matchId === undefined ? this.#finishedLeave : undefined; // the client left it when it finished
      this.#finishedLeave = undefined;
      this.matchId = undefined;
      return left ?? this.request(C.MatchLeave, {});
    },
  };
  readonly chat = {
    /** Resolves with the channel's recent history (oldest first); new messages come as `chat.message` events. */
    join: async (channelId: string) => {
      const answer = await this.request(C.ChatJoin, { channel_id: channelId });
      this.channels.add(channelId);
      if (!this.#lastHeard.has(channelId)) this.#lastHeard.set(channelId, answer.history?.at(-1)); // a server may answer without one
      return answer;
    },
    leave: (channelId: string) => {
      this.channels.delete(channelId);
      this.#lastHeard.delete(channelId);
      this.#rejoining.delete(channelId);
      return this.request(C.ChatLeave, { channel_id: channelId });
    },
    send: (channelId: string, content: string) => this.request(C.ChatSend, { channel_id: channelId, content }),
  };
  readonly vote = {
    /** One option id; a list for approval (every approved option) and ranked votes (best first). A recast replaces. */
    cast: (voteId: string, option: string | string[]) => this.request(C.VoteCast, { vote_id: voteId, option_id: option }),
    veto: (voteId: string) => this.request(C.VoteVeto, { vote_id: voteId }),
  };
  readonly presence = {
    /** Friends get `presence.changed`; repeated after a reconnect (unless the server refused it). */
    update: (status: string, metadata?: Record<string, unknown>) => {
      // Friends get the metadata with the status: none given, none told (not an empty object).
      const presence: PresenceUpdate = metadata === undefined ? { status } : { status, metadata };
      const before = this.#presence;
      this.#presence = presence;
      const answered = this.request(C.PresenceUpdate, presence);
      // Refused, it is not the player's presence (the server keeps the one before): not repeated after a reconnect,
      // where it would be refused again, as an error event, each time.
      answered.catch((error: GameRequestError) => {
        if (error.kind === "refused" && this.#presence === presence) this.#presence = before;
      });
      return answered;
    },
  };

  readonly #listeners = new Map<string, Set<(payload: any) => void>>();
  readonly #pending = new Map<string, Pending>();
  /** The `match.leave` the client sent when its match finished (`match.leave()` then returns it). */
  #finishedLeave: Promise<RequestResults["match.leave"]> | undefined;
  #ws: WebSocketLike | undefined;
  #ready = false;
  #closed = false;
  #nextCid = 1;
  #attempt = 0;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  /** When the last frame arrived (Date.now()): a heartbeat unanswered while frames still come is no dead link. */
  #heardAt = 0;
  #presence: PresenceUpdate | undefined;
  /** Unread notifications come again with every new session: each id is emitted once per client. */
  readonly #notified = new Set<string>();
  /** By channel: the last chat message this client had (from a join's history or live), to know what it missed. */
  readonly #lastHeard = new Map<string, ChatMessage | undefined>();
  /**
   * By channel being joined again after a reconnect: the messages that came live meanwhile, held until the join's
   * history has brought what was missed before them (kept through another reconnect, until a join answers).
   */
  readonly #rejoining = new Map<string, ChatMessage[]>();

  constructor(
    readonly url: string,
    private readonly options: GameConnectOptions,
  ) {
    this.api = new GameApi(options.apiUrl ?? apiUrlFor(url), options.token, options.fetch);
    this.opened = new Promise((resolve, reject) => {
      const off = this.on("status", ({ status, code, reason }) => {
        if (status === "open") resolve();
        else if (status === "closed" || status === "reconnecting")
          reject(new GameRequestError("disconnected", `could not connect to ${url} (close ${code ?? "–"}${reason ? `: ${reason}` : ""})`));
        else return;
        off();
      });
    });
    this.opened.catch(() => {});
    this.#start();
  }

  on<K extends keyof GameClientEvents<State>>(type: K, listener: (payload: GameClientEvents<State>[K]) => void): () => void {
    let listeners = this.#listeners.get(type as string);
    if (!listeners) this.#listeners.set(type as string, (listeners = new Set()));
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** The next `type` event that `where` accepts; rejects with kind `timeout` after `timeoutMs` (default: the request timeout). */
  next<K extends keyof GameClientEvents<State>>(
    type: K,
    options: { where?: (payload: GameClientEvents<State>[K]) => boolean; timeoutMs?: number } = {},
  ): Promise<GameClientEvents<State>[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new GameRequestError("timeout", `no ${String(type)} within ${this.#timeoutMs(options.timeoutMs)} ms`, String(type)));
      }, this.#timeoutMs(options.timeoutMs));
      const off = this.on(type, (payload) => {
        if (options.where && !options.where(payload)) return;
        off();
        clearTimeout(timer);
        resolve(payload);
      });
    });
  }

  /** Sends `type` with a `cid` and resolves with the answer's payload; rejects with a `GameRequestError`. */
  request<T extends RequestType>(type: T, payload: ClientMessages[T], options: { timeoutMs?: number } = {}): Promise<RequestResults[T]> {
    return this.#request(type, payload, options.timeoutMs, false) as Promise<RequestResults[T]>;
  }

  /** Sends without a `cid` (nothing answers it unless it is refused: then an `error` event). False when not connected. */
  send<T extends keyof ClientMessages>(type: T, payload: ClientMessages[T]): boolean {
    return this.#write({ type, payload });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#stopHeartbeat();
    this.#ws?.close(1000, "Client closed");
    this.#ws = undefined;
    this.#failPending("the client was closed");
    this.#setStatus({ status: "closed", code: 1000 });
  }

  // ---- connection ------------------------------------------------------------------------------------------

  /** A token function that throws or a missing WebSocket ends the client: retrying cannot help. */
  #start(): void {
    this.#open().catch((error: Error) => {
      this.#closed = true;
      this.#emit(S.Error, { reason: error.message });
      this.#setStatus({ status: "closed", reason: error.message });
    });
  }

  async #open(): Promise<void> {
    this.#setStatus({ status: this.#attempt === 0 && this.playerId === undefined ? "connecting" : "reconnecting" });
    const token = await resolveToken(this.options.token);
    const ws = new (webSocketConstructor(this.options.WebSocket))(this.url);
    this.#ws = ws;
    ws.onopen = () => {
      this.#request(C.SessionConnect, { token }, undefined, true).then(
        (answer) => this.#connected(ws, answer as RequestResults["session.connect"]),
        (error: GameRequestError) => {
          // Refused (a bad token): final. Lost or timed out: the close handler retries.
          if (error.kind === "refused" && this.#ws === ws) this.#end(ws, GameCloseCode.Unauthorized, error.message);
        },
      );
    };
    ws.onmessage = (event) => this.#receive(event.data);
    ws.onclose = (event) => this.#lost(ws, event.code, event.reason);
    ws.onerror = () => {};
  }

  #connected(ws: WebSocketLike, { player_id: playerId, match_id: inMatch }: RequestResults["session.connect"]): void {
    if (this.#ws !== ws) return;
    const again = this.playerId !== undefined;
    this.#ready = true;
    this.#attempt = 0;
    this.playerId = playerId;
    this.#startHeartbeat(ws);
    // The session is in a match this client does not know (a join whose answer the lost socket took, a leave the loss
    // cut off): it leaves it, before anything the app sends from now on and before joining its own again.
    if (inMatch !== undefined && inMatch !== this.matchId) this.#request(C.MatchLeave, {}, undefined, false).catch(() => {});
    this.#setStatus({ status: "open" });
    if (again) this.#restore();
  }

  /** After a reconnect: back into the match and channels, and the presence set before. Failures come as `error` events. */
  #restore(): void {
    // Lost again before the answer: the next reconnect restores it all again.
    const failed = (what: string) => (error: GameRequestError) => {
      if (error.kind === "disconnected") return;
      const event: GameErrorEvent = { reason: `could not ${what} again: ${error.message}` };
      this.#emit(S.Error, error.code === undefined ? event : { code: error.code, ...event });
    };
    if (this.matchId !== undefined) this.#request(C.MatchJoin, { match_id: this.matchId }, undefined, false).catch(failed(`join match ${this.matchId}`));
    for (const channel of this.channels) {
      if (!this.#rejoining.has(channel)) this.#rejoining.set(channel, []);
      this.#request(C.ChatJoin, { channel_id: channel }, undefined, false).then(
        (answer) => this.#rejoined(channel, (answer as RequestResults["chat.join"]).history),
        (error: GameRequestError) => {
          if (error.kind !== "disconnected") this.#rejoined(channel, undefined); // refused: what came live is all there is
          failed(`join channel ${channel}`)(error);
        },
      );
    }
    if (this.#presence) this.#request(C.PresenceUpdate, this.#presence, undefined, false).catch(failed("set the presence"));
  }

  /**
   * A channel joined again: the messages of its history after the last one this client had (all of it when that one is
   * no longer in it: more than the history went by), then those that came live meanwhile and are not among them, as
   * `chat.message` events, in that order.
   */
  #rejoined(channel: string, history: readonly ChatMessage[] | undefined): void {
    const live = this.#rejoining.get(channel);
    this.#rejoining.delete(channel);
    if (!this.channels.has(channel) || live === undefined) return; // left meanwhile
    const heard = this.#lastHeard.get(channel);
    const listed = Array.isArray(history) ? history : []; // a server may answer without one
    const from = heard === undefined ? 0 : listed.findLastIndex((message) => chatMessageIdentity(message) === chatMessageIdentity(heard)) + 1;
    const missed = listed.slice(from);
    const inMissed = new Set(missed.map(chatMessageIdentity));
    const news = [...missed, ...live.filter((message) => !inMissed.has(chatMessageIdentity(message)))];
    if (news.length > 0) this.#lastHeard.set(channel, news.at(-1));
    for (const message of news) this.#emit(S.ChatMessage, message);
  }

  #lost(ws: WebSocketLike, code: number, reason: string): void {
    if (this.#ws !== ws) return;
    this.#ws = undefined;
    this.#ready = false;
    this.#stopHeartbeat();
    const reconnects = !this.#closed && this.options.reconnect !== false && !FINAL_CODES.has(code);
    this.#failPending(lostConnectionReason(code, reconnects));
    if (this.#closed) return;
    if (this.options.reconnect === false || FINAL_CODES.has(code)) return this.#end(ws, code, reason);
    this.#setStatus({ status: "reconnecting", code, reason });
    const delay = backoffDelay(this.#attempt++, { initialMs: this.options.backoff?.initialMs ?? 250, maxMs: this.options.backoff?.maxMs ?? 10_000 });
    this.#retry = setTimeout(() => this.#start(), delay);
  }

  #end(ws: WebSocketLike, code: number, reason: string): void {
    this.#closed = true;
    this.#ws = undefined;
    this.#ready = false;
    this.#stopHeartbeat();
    ws.close(1000, "Client closed");
    this.#failPending(reason || `closed (${code})`);
    this.#setStatus({ status: "closed", code, reason });
  }

  #startHeartbeat(ws: WebSocketLike): void {
    this.#stopHeartbeat();
    this.#heartbeat = setInterval(() => {
      const sentAt = Date.now();
      this.#request(C.SessionHeartbeat, {}, undefined, false).catch((error: GameRequestError) => {
        // Silence since the heartbeat: the link is dead though no close came. Drop it; #lost reconnects.
        if (error.kind === "timeout" && this.#heardAt <= sentAt && this.#ws === ws) {
          ws.close(4000, "Heartbeat timeout");
          this.#lost(ws, 4000, "heartbeat timeout");
        }
      });
    }, this.options.heartbeatMs ?? 10_000);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  // ---- frames ----------------------------------------------------------------------------------------------

  #receive(data: unknown): void {
    this.#heardAt = Date.now();
    let frame: GameFrame<string, any>;
    try {
      frame = JSON.parse(String(data)) as GameFrame<string, any>;
      if (typeof frame !== "object" || frame === null || typeof frame.type !== "string") throw new Error("no type");
    } catch (error) {
      return this.#emit(S.Error, { reason: `a frame from the server could not be read: ${(error as Error).message}` });
    }
    const pending = frame.cid === undefined ? undefined : this.#pending.get(frame.cid);
    if (pending) {
      this.#pending.delete(frame.cid!);
      clearTimeout(pending.timer);
      if (frame.type === S.Error) {
        const { reason, code } = frame.payload ?? {};
        pending.reject(new GameRequestError("refused", String(reason ?? "refused"), pending.type, undefined, typeof code === "number" ? code : undefined));
      } else pending.resolve(frame.payload ?? {});
      return;
    }
    if (frame.type === S.MatchFinished && frame.payload?.match_id === this.matchId) {
      // Done with it: its seat is given up (the server then forgets the match once its last player left), and a
      // next match.join is not refused for being in one already. An app's own match.leave() after this gets this one.
      this.matchId = undefined;
      this.#finishedLeave = this.request(C.MatchLeave, {});
      this.#finishedLeave.catch(() => {}); // offline meanwhile: the session leaves it then
    }
    if (frame.type === S.ChatMessage) {
      const channel = frame.payload?.channel_id;
      const held = this.#rejoining.get(channel);
      if (held) return void held.push(frame.payload); // after what the join brings
      if (this.#lastHeard.has(channel)) this.#lastHeard.set(channel, frame.payload);
    }
    if (frame.type === S.NotificationNew) {
      if (this.#notified.has(frame.payload?.id)) return;
      this.#notified.add(frame.payload?.id);
    }
    this.#emit(frame.type, frame.payload ?? {});
  }

  #write(frame: GameFrame, beforeSession = false): boolean {
    const ws = this.#ws;
    if (!ws || (!this.#ready && !beforeSession) || ws.readyState !== 1) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  #request(type: string, payload: unknown, timeoutMs: number | undefined, beforeSession: boolean): Promise<unknown> {
    const cid = String(this.#nextCid++);
    return new Promise((resolve, reject) => {
      if (!this.#write({ cid, type, payload }, beforeSession)) return reject(new GameRequestError("disconnected", "not connected", type));
      const ms = this.#timeoutMs(timeoutMs);
      const timer = setTimeout(() => {
        this.#pending.delete(cid);
        reject(new GameRequestError("timeout", `no answer to ${type} within ${ms} ms`, type));
      }, ms);
      this.#pending.set(cid, { type, resolve, reject, timer });
    });
  }

  #timeoutMs(given: number | undefined): number {
    return given ?? this.options.requestTimeoutMs ?? 10_000;
  }

  #failPending(reason: string): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new GameRequestError("disconnected", reason, pending.type));
    }
    this.#pending.clear();
  }

  #setStatus(event: StatusEvent): void {
    this.status = event.status;
    this.#emit("status", event);
  }

  #emit(type: string, payload: unknown): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) listener(payload);
  }
}
