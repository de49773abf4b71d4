/**
 * One room per player (party `game-player`, room = player id): its friends, its notifications (kept in
 * `room.storage` until read), and its presence. The player's session holds an in-process connection to it while a
 * socket is attached, so the player is online exactly while the room has a connection; going online or offline,
 * and `presence.update`, reach every friend's room (a stub fetch), which tells its own sessions.
 *
 * Internal HTTP (stubs only: the REST API and other player rooms), JSON bodies:
 *   POST /friends {player_id}      the owner adds a friend (the other room gets POST /invite)
 *   GET  /friends                  → {friends: [{player_id, state, status?, metadata?}]}
 *   POST /invite {from}            another player added this one → {state}
 *   POST /presence {player_id, status, metadata?}   a friend's presence changed
 *   GET  /status                   → {status, metadata?}
 *   GET  /notifications            → {notifications}
 *   POST /notifications/{id}/read  → {id, read: true} (404 when there is no such notification)
 *   POST /notify {type, subject, content}  → {id}: a notification for this player
 */
import { CloseCode, CONTROL_CHARACTERS, errorResponse, type Connection, type ErrorBody, type Room, type Server, type Worker } from "../runtime/index.js";
import { newId } from "../rooms/ids.js";
import { MAX_FRAME_DEPTH, shapeProblemOf } from "../rooms/wire/depth.js";
import { GameMessage, envelopeJson, errorJson, isRecord, type GameEnvelope } from "./wire.js";
import { closedToClients, OneAtATime, PLAYER_PARTY, type GameShared } from "./parties.js";
import { OFFLINE, ONLINE, presenceOf, type Presence } from "./presence.js";

export type FriendState = "friend" | "invite_sent" | "invite_received";

export interface StoredNotification {
  id: string;
  type: string;
  subject: string;
  content: Record<string, unknown>;
  /** ISO 8601 UTC. */
  created_at: string;
  read: boolean;
}

const FRIENDS_KEY = "game.friends";
const NOTIFICATIONS_KEY = "game.notifications";

/** The code of the runtime's error body `{error: {code, message}}` for each status the REST API answers. */
const CODE_OF_STATUS: Record<number, string> = {
  400: "ERR_BAD_REQUEST",
  401: "ERR_UNAUTHORIZED",
  404: "ERR_NOT_FOUND",
  405: "ERR_METHOD_NOT_ALLOWED",
  409: "ERR_CONFLICT",
  413: "ERR_BODY_TOO_BIG",
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** The answer, in the runtime's error shape. */
  toResponse(headers?: Record<string, string>): Response {
    const response = errorResponse(CODE_OF_STATUS[this.status] ?? "ERR_INTERNAL", this.message, this.status);
    for (const [name, value] of Object.entries(headers ?? {})) response.headers.set(name, value);
    return response;
  }
}

export function playerParty(shared: GameShared): Worker {
  return class PlayerParty implements Server {
    static onBeforeConnect = closedToClients;
    static onBeforeRequest = closedToClients;
    /**
     * A message its logic failed on leaves the protocol in no known state: the runtime closes that connection (1011).
     * Its notifications (up to 200, each up to a request's size) are one stored value: not held to Durable Objects' limits.
     */
    readonly options = { closeOnMessageError: true, storageLimits: false };

    /** Player → state; a Map (stored as one): player ids are any strings, `__proto__` and `valueOf` too. */
    #friends = new Map<string, FriendState>();
    #notifications: StoredNotification[] = [];
    /** Changes of the friends and notifications (each a read-modify-write of storage across awaits), one at a time. */
    readonly #changes = new OneAtATime();
    /** Set by `presence.update` while online; "online" otherwise. */
    #presence: Presence = { status: ONLINE };
    /** The presence friends are told next, and the tell under way (see #tellFriends). */
    #toTell: Presence | undefined;
    #telling: Promise<void> | undefined;

    constructor(readonly room: Room) {}

    async onStart(): Promise<void> {
      shared.started?.();
      const stored = await this.room.storage.get<Map<string, FriendState> | Record<string, FriendState>>(FRIENDS_KEY);
      // Earlier versions stored a plain object (own keys only).
      this.#friends = stored instanceof Map ? stored : new Map(Object.entries(stored ?? {}));
      this.#notifications = (await this.room.storage.get<StoredNotification[]>(NOTIFICATIONS_KEY)) ?? [];
    }

    async onConnect(conn: Connection): Promise<void> {
      // Kept until read: every unread one reaches every new session.
      for (const notification of this.#notifications)
        if (!notification.read) conn.send(envelopeJson(GameMessage.NotificationNew, publicNotification(notification)));
      if (this.#online() === 1) {
        this.#presence = { status: ONLINE };
        await this.#tellFriends(this.#presence);
      }
    }

    async onClose(_conn: Connection, code?: number): Promise<void> {
      // Closed because the server stops or reloads: the friends' rooms are going away too, and one waiting for
      // another's answer held the shutdown until its timeout. Sessions that stay say they are online again after it.
      if (code === CloseCode.GoingAway || code === CloseCode.ServiceRestart) return;
      if (this.#online() === 0) await this.#tellFriends({ status: OFFLINE });
    }

    async onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Connection): Promise<void> {
      if (typeof message !== "string") return;
      const { cid, type, payload } = JSON.parse(message) as GameEnvelope; // checked by the session
      if (type !== GameMessage.PresenceUpdate) return;
      const presence = presenceOf(payload, shared.limits.maxPresenceMetadataBytes);
      if ("refused" in presence) return conn.send(errorJson(presence.refused, cid));
      this.#presence = presence;
      conn.send(envelopeJson(GameMessage.PresenceUpdate, { status: presence.status }, cid));
      await this.#tellFriends(presence);
    }

    async onRequest(request: Request): Promise<Response> {
      try {
        return Response.json(await this.#answer(request));
      } catch (error) {
        if (error instanceof HttpError) return error.toResponse();
        throw error;
      }
    }

    async #answer(request: Request): Promise<unknown> {
      const route = `${request.method} ${new URL(request.url).pathname.split("/").slice(4).join("/")}`;
      const body = request.method === "POST" ? await jsonBody(request) : {};
      switch (route) {
        case "POST friends":
          return this.#addFriend(playerId(requiredString(body, "player_id")));
        case "GET friends":
          return { friends: await this.#listFriends() };
        case "POST invite":
          return { state: await this.#invitedBy(requiredString(body, "from")) };
        case "POST presence": {
          const friend = requiredString(body, "player_id");
          const metadata = isRecord(body.metadata) ? { metadata: body.metadata } : {};
          if (this.#friends.get(friend) === "friend")
            this.#send(envelopeJson(GameMessage.PresenceChanged, { player_id: friend, status: requiredString(body, "status"), ...metadata }));
          return {};
        }
        case "GET status":
          return this.#online() > 0 ? this.#presence : { status: OFFLINE };
        case "GET notifications":
          return { notifications: this.#notifications };
        case "POST notify": {
          const [type, subject] = [requiredString(body, "type"), requiredString(body, "subject")];
          return { id: await this.#changes.run(() => this.#notify(type, subject, isRecord(body.content) ? body.content : {})) };
        }
      }
      const read = /^POST notifications\/([^/]+)\/read$/.exec(route);
      if (read) {
        const id = decoded(read[1]!);
        return this.#changes.run(() => this.#markRead(id));
      }
      throw new HttpError(404, `no such endpoint: ${request.method} ${new URL(request.url).pathname}`);
    }

    /**
     * Adds `other`: the place is taken (an `invite_sent`, within `maxFriends`) before `other`'s room is asked, so an
     * add of this player by `other` at the same moment finds the invite and makes both friends. A pending invite
     * from `other` already holds its place: accepting it takes no new one.
     */
    async #addFriend(other: string): Promise<{ player_id: string; state: FriendState }> {
      if (other === this.room.id) throw new HttpError(400, "a player cannot befriend itself");
      const before = await this.#changes.run(async () => {
        const current = this.#friends.get(other);
        if (current === undefined) {
          this.#roomFor();
          await this.#setFriend(other, "invite_sent");
        }
        return current;
      });
      if (before === "friend") return { player_id: other, state: "friend" };
      let theirs: FriendState;
      try {
        const answer = await this.#playerRoom(other).fetch("/invite", { method: "POST", body: JSON.stringify({ from: this.room.id }) });
        if (!answer.ok) throw new HttpError(answer.status, ((await answer.json()) as ErrorBody).error.message);
        theirs = ((await answer.json()) as { state: FriendState }).state;
      } catch (error) {
        // Refused (`other` is full): the place taken for the invite is given back.
        if (before === undefined)
          await this.#changes.run(async () => {
            if (this.#friends.get(other) === "invite_sent") await this.#setFriend(other, undefined);
          });
        throw error;
      }
      return this.#changes.run(async () => {
        // Friends already when `other`'s own add reached this room meanwhile.
        const mine: FriendState = theirs === "friend" || this.#friends.get(other) === "friend" ? "friend" : "invite_sent";
        await this.#setFriend(other, mine);
        return { player_id: other, state: mine };
      });
    }

    /** `from` added this player: an invite (and a `friend_request` notification), or a friendship if this one had invited `from`. */
    #invitedBy(from: string): Promise<FriendState> {
      return this.#changes.run(async () => {
        const current = this.#friends.get(from);
        if (current === "friend" || current === "invite_received") return current;
        if (current === "invite_sent") {
          await this.#setFriend(from, "friend");
          return "friend";
        }
        this.#roomFor();
        await this.#setFriend(from, "invite_received");
        await this.#notify("friend_request", "New friend request", { from_player_id: from });
        return "invite_received";
      });
    }

    /** Refuses a new friend past `maxFriends`; called in turn (`#changes`), so concurrent adds cannot all pass it. */
    #roomFor(): void {
      if (this.#friends.size >= shared.limits.maxFriends) throw new HttpError(409, `at most ${shared.limits.maxFriends} friends and invites (maxFriends)`);
    }

    /** Sets (or, with undefined, drops) the state of `player` and stores the list; in turn only. */
    async #setFriend(player: string, state: FriendState | undefined): Promise<void> {
      if (this.#friends.get(player) === state) return;
      if (state === undefined) this.#friends.delete(player);
      else this.#friends.set(player, state);
      await this.room.storage.put(FRIENDS_KEY, this.#friends);
    }

    async #listFriends(): Promise<Array<{ player_id: string; state: FriendState } & Partial<Presence>>> {
      return Promise.all(
        [...this.#friends].map(async ([player, state]) => {
          if (state !== "friend") return { player_id: player, state };
          const answer = await this.#playerRoom(player).fetch("/status");
          return { player_id: player, state, ...((await answer.json()) as Presence) };
        }),
      );
    }

    /** In turn only (`#changes`). */
    async #notify(type: string, subject: string, content: Record<string, unknown>): Promise<string> {
      const notification: StoredNotification = { id: newId(12), type, subject, content, created_at: new Date().toISOString(), read: false };
      this.#notifications.push(notification);
      const excess = this.#notifications.length - shared.limits.maxNotifications;
      if (excess > 0) {
        // The oldest read ones go first, then the oldest unread.
        const read = this.#notifications.filter((n) => n.read).slice(0, excess);
        const dropped = new Set([...read, ...this.#notifications.filter((n) => !n.read)].slice(0, excess));
        this.#notifications = this.#notifications.filter((n) => !dropped.has(n));
      }
      await this.room.storage.put(NOTIFICATIONS_KEY, this.#notifications);
      this.#send(envelopeJson(GameMessage.NotificationNew, publicNotification(notification)));
      return notification.id;
    }

    /** In turn only (`#changes`). */
    async #markRead(id: string): Promise<{ id: string; read: true }> {
      const notification = this.#notifications.find((n) => n.id === id);
      if (!notification) throw new HttpError(404, `no notification "${id}"`);
      notification.read = true;
      await this.room.storage.put(NOTIFICATIONS_KEY, this.#notifications);
      return { id, read: true };
    }

    /**
     * Tells the friends `presence`. One tell at a time (each is a request to every friend's room): statuses that come
     * meanwhile wait, and only the latest of them is told next — presence is a state, so friends see the newest.
     */
    #tellFriends(presence: Presence): Promise<void> {
      this.#toTell = presence;
      this.#telling ??= (async () => {
        try {
          for (let next = this.#toTell; next !== undefined; next = this.#toTell) {
            this.#toTell = undefined;
            await this.#tellFriendsNow(next);
          }
        } finally {
          this.#telling = undefined;
        }
      })();
      return this.#telling;
    }

    async #tellFriendsNow(presence: Presence): Promise<void> {
      const body = JSON.stringify({ player_id: this.room.id, ...presence });
      const friends = [...this.#friends].filter(([, state]) => state === "friend").map(([player]) => player);
      await Promise.all(
        friends.map((friend) =>
          this.#playerRoom(friend)
            .fetch("/presence", { method: "POST", body })
            .catch((error: unknown) => shared.logger.warn("game.presence_failed", { code: "ERR_INTERNAL", player: this.room.id, friend, error })),
        ),
      );
    }

    #playerRoom(player: string) {
      return this.room.context.parties[PLAYER_PARTY]!.get(player);
    }

    #online(): number {
      let count = 0;
      for (const _ of this.room.getConnections()) count++;
      return count;
    }

    #send(frame: string): void {
      for (const conn of this.room.getConnections()) conn.send(frame);
    }
  };
}

function publicNotification({ id, type, subject, content }: StoredNotification): Record<string, unknown> {
  return { id, type, subject, content };
}

async function jsonBody(request: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    const text = await request.text();
    body = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(400, "the body must be JSON");
  }
  if (!isRecord(body)) throw new HttpError(400, "the body must be a JSON object");
  // A "__proto__" key is refused as on the socket: spread or assigned, it would set a prototype.
  const problem = shapeProblemOf(body, MAX_FRAME_DEPTH);
  if (problem === "depth") throw new HttpError(400, `the body nests deeper than ${MAX_FRAME_DEPTH} levels of arrays and objects`);
  if (problem === "proto") throw new HttpError(400, 'the body holds a "__proto__" key, which is refused');
  return body;
}

/** A path segment, percent-decoded; a malformed escape (`%E0%A4%A`) is the caller's mistake: 400. */
function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "the notification id is not a valid percent-encoded string");
  }
}

/**
 * A player id the REST API can name: no control characters (a verified token never gives one), and not "." or ".."
 * (a player room is reached by a URL path, where those are dot segments: they named no player's room).
 */
export function playerId(id: string): string {
  if (CONTROL_CHARACTERS.test(id)) throw new HttpError(400, "a player id has no control characters");
  if (id === "." || id === "..") throw new HttpError(400, `"${id}" is not a player id the REST API can name`);
  return id;
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || value === "" || value.length > 128)
    throw new HttpError(400, `"${field}" must be a non-empty string of at most 128 characters`);
  return value;
}
