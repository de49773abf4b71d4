/**
 * One room type as a party: each room is one live instance (the runtime's registry), its sessions are in-process
 * connections (one per player), and its authoritative state is stored in `room.storage` under `STATE_KEY` after
 * every patch, so it survives an unload or a restart. Patches are a diff of the state against the last one sent,
 * once per event-loop tick (`setImmediate`), however many inputs changed it.
 */
import type { Connection, Logger, Room, Server, Worker } from "../runtime/index.js";
import { CloseCode, errorResponse } from "../runtime/index.js";
import { canonicalChecksum, canonicalJson, clone, diff, MAX_STATE_DEPTH, MessageType, stateChecksum, wireShapeProblem, type Envelope } from "./wire/index.js";
import { DEFAULT_MAX_CLIENTS, RoomError, type RoomApi, type RoomInput, type RoomType } from "./define.js";
import type { RoomDirectory } from "./directory.js";
import { Link, unreliableFrame, type JoinRequest } from "./link.js";
import type { RoomsLimits } from "./limits.js";
import { KeptSeats } from "./kept-seats.js";
import { ALARM_KEY, RoomAlarm } from "./room-alarm.js";
import { isReservation, RESERVED_KEY, reservationAsked, type Reservation } from "./match-seats.js";

export const STATE_KEY = "yparty.rooms.state";

interface StoredRoom {
  state: unknown;
  seq: number;
  metadata: Record<string, unknown>;
  /** Players seated when the room was stored (absent in rooms stored before the field existed). */
  seated?: string[];
  /** When the seats of those kept since the room's last stop expire (absent: `resumeWindowMs` after it is back). */
  seatedUntil?: Record<string, number>;
  /** `dispose()` was called: it is forgotten once nobody is in it. */
  disposing?: true;
  /** Created for a join none got into since (a match's seats hold it back): it goes as a disposed one once they are free. */
  unjoined?: true;
  /** `lock()` was called (and not `unlock()`): no new player joins, and it is neither listed nor matched. */
  locked?: true;
  /** `setPrivate()`: joined by name only, neither listed nor matched. */
  private?: true;
  /** Rooms stored before `RESERVED_KEY` (match-seats.ts): the seats held for a match's participants not in yet. */
  reserved?: Reservation;
}

interface Member {
  player: string;
  conn: Connection;
  /**
   * The last seq the client acknowledged (it had this state); -1 until it acknowledges one: the snapshot sent with its
   * join may not have reached it (a session without a socket drops it), so a catch-up sends it a snapshot.
   */
  ack: number;
  /** When the client may next be sent a snapshot it asked for, and the timer of one it asked for before that. */
  nextSnapshotAt: number;
  snapshotTimer?: NodeJS.Timeout;
  /** The room has handled its connection's close (kept as a member only when replaced: its replacement takes it). */
  closeHandled?: true;
  /** Resolved once it has: the joins of the same player waiting for it (made by the first), and its resolve. */
  whenCloseHandled?: Promise<void>;
  closeWaiters?: () => void;
}

export interface RoomPartyShared {
  directory: RoomDirectory;
  limits: RoomsLimits;
  /** The server's logger (the mount sets it as sockets arrive: rooms only run once a session joined one). */
  logger: Logger;
  /** A room of the type starts (its mount checks that it is the one served). */
  started?: () => void;
}

/** The party name a room type's rooms live under. */
export function roomPartyName(roomType: string): string {
  return `rooms.${roomType}`;
}

/** The parties of the rooms protocol are reached only through its socket: their own URLs answer 404. */
export function closedToClients(): Response {
  return errorResponse("ERR_NOT_FOUND", "Rooms are reached through the rooms socket (handshake first)", 404);
}

export function roomParty(roomTypeName: string, type: RoomType<any>, shared: RoomPartyShared): Worker {
  const maxClients = type.maxClients ?? DEFAULT_MAX_CLIENTS;
  const unreliable = new Set(type.unreliable ?? []);
  const syncState = type.syncState ?? true;

  return class RoomParty implements Server {
    static onBeforeConnect = closedToClients;
    static onBeforeRequest = closedToClients;
    /**
     * A message its logic failed on leaves the protocol in no known state: the runtime closes that connection (1011).
     * Its state is one stored value of any size (and a match's votes go in one put): not held to Durable Objects' limits.
     */
    readonly options = { closeOnMessageError: true, storageLimits: false };

    readonly #members = new Map<string, Member>();
    /** Frames of connections whose join is still running (async hooks): delivered once they are members. */
    readonly #joining = new Map<Connection, string[]>();
    #state: unknown = {};
    /** The state as of `#seq` (what the clients have been sent). */
    #sent: unknown = {};
    #seq = 0;
    #checksum = stateChecksum({});
    #created = false;
    /** The running `onCreate`, which concurrent first joins share. */
    #creating: Promise<void> | undefined;
    #metadata: Record<string, unknown> = {};
    /** `lock()` (stored with the state): a new player's join is refused; not listed, not matched. */
    #locked = false;
    /** `setPrivate()` (stored with the state): joined by name only; not listed, not matched. */
    #private = false;
    /** Patch frames not yet acknowledged by every member, oldest first. */
    #kept: Array<{ seq: number; frame: string; checksum: string }> = [];
    /** Bytes of the kept patches' frames. */
    #keptBytes = 0;
    /** The snapshot frame of `seq`, made once however many ask for it. */
    #snapshot: { seq: number; frame: string } | undefined;
    /** Whether a hook ran (or the state was replaced) since the last flush: a flush of a clean state does no diff. */
    #dirty = false;
    #flushScheduled = false;
    #saveTimer: NodeJS.Timeout | undefined;
    /** The seated players of the last save (or of the stored room), joined: a stop saves when they changed. */
    #savedSeated = "";
    #tick: NodeJS.Timeout | undefined;
    /** `onStop` ran: this instance is unloaded (the next load is another), and lists nothing any more. */
    #stopped = false;
    /** Seats of players who were in the room when it last stopped, kept for them for a while (kept-seats.ts). */
    readonly #keptSeats = new KeptSeats(shared.limits.resumeWindowMs, (player) =>
      this.#leave(player).catch((error: unknown) => this.#log("error", "room.hook_failed", error, { hook: "onLeave" })),
    );
    /** The storage alarm, shared with the room type: it brings the room back when kept seats are due. */
    readonly #alarm: RoomAlarm;
    /** The sender of the input being handled: the coalescing key of what it broadcasts. */
    #sender = "";
    /** `dispose()` was called (stored with the state): the room's storage goes once nobody is in it (`#discardIfEmpty`). */
    #disposing = false;
    /**
     * Created by a join, and nobody has joined it since (stored with the state: a match's held seats may keep it past a
     * restart): if its joins are all refused (or fail), it goes
     * as a disposed room does once nobody is in it, as Colyseus disposes a room whose creating join failed. (Else an
     * unnamed join refused everywhere left the rooms it made, with a random name, listed empty and stored for good.)
     */
    #unjoined = false;
    /** Hooks running (an async one until it settles): the room is discarded only between them, after their writes. */
    #running = 0;
    /** Per player, its join running: the next join of the same player waits for it (one at a time). */
    readonly #joinTurns = new Map<string, Promise<void>>();
    /** Per player, its joins waiting for their turn. */
    readonly #joinsWaiting = new Map<string, number>();
    /**
     * Players in the logic whose join ended without a member while a later join of theirs waited, with that join's
     * options (canonical JSON): the later join takes them over if it asks the same, else they leave first.
     */
    readonly #handedOver = new Map<string, string>();
    /** Per player, its `onLeave` running: a join of the same player waits for it. */
    readonly #leaving = new Map<string, Promise<void>>();
    /** Players whose join is not done but who are in the room's logic (its kept seat taken, or its `onJoin` called). */
    readonly #inJoin = new Set<string>();
    /** Connections the room's stop closed (1001, 1012), before its onStop ran: a join under way on one was cut by it. */
    readonly #cutByStop = new WeakSet<Connection>();
    /** Connections whose close `onClose` handled (a join that finds its connection closed waits for it: #closeHandled). */
    readonly #closesHandled = new WeakSet<Connection>();
    /** Per connection closed under a join, told when its `onClose` ran (or the room stopped). */
    readonly #closeWaiters = new Map<Connection, () => void>();
    /** What `RESERVED_KEY` holds (JSON; "" for nothing): it is written again only when the held seats changed. */
    #storedReservation = "";
    readonly #api: RoomApi;

    constructor(readonly room: Room) {
      const self = this;
      this.#alarm = new RoomAlarm(room.storage);
      this.#api = {
        get state() {
          return self.#state;
        },
        set state(next) {
          self.#state = next;
          self.#dirty = true;
        },
        room: room.id,
        roomType: roomTypeName,
        get clients() {
          return self.#withJoining(self.#members.keys());
        },
        get seated() {
          return self.#withJoining(self.#seated());
        },
        get awaited() {
          return [...(shared.directory.seats.reservedFor(roomTypeName, room.id) ?? [])];
        },
        broadcast: (messageType, data, options) => this.#broadcast(messageType, data, options?.except),
        send: (player, messageType, data) => {
          const member = this.#members.get(player);
          if (member) member.conn.send(this.#messageFrame(messageType, data));
        },
        setMetadata: (metadata) => {
          this.#metadata = { ...metadata };
          this.#list();
        },
        get locked() {
          return self.#locked;
        },
        lock: () => this.#setListed({ locked: true }),
        unlock: () => this.#setListed({ locked: false }),
        setPrivate: (value = true) => this.#setListed({ private: value }),
        // The room with the type's share of the alarm as its storage's (the rest is the room's own).
        partyRoom: Object.create(room, { storage: { value: this.#alarm.typeStorage, enumerable: true } }) as Room,
        dispose: () => {
          this.#disposing = true;
          this.#discardIfEmpty();
          if (this.#disposing) this.#scheduleSave(); // stored with the state: a restart in between does not forget it
        },
      };
    }

    /**
     * A disposed room (or one no join made a member of since it was created: #unjoined) nobody is in (or joining, or
     * has a seat kept) is forgotten: its storage deleted, nothing stored
     * again (a save waiting is dropped), and the next join creates it anew.
     */
    #discardIfEmpty(): void {
      const going = this.#disposing || (this.#unjoined && !shared.directory.seats.reservedFor(roomTypeName, this.room.id)?.size);
      if (!going || this.#stopped || this.#running > 0 || this.#members.size > 0 || this.#joining.size > 0 || this.#keptSeats.size > 0) return;
      // Everything of it goes: the next join starts from nothing, as in a room never created.
      this.#disposing = this.#unjoined = false;
      this.#created = false;
      this.#state = this.#sent = {};
      this.#seq = 0;
      this.#checksum = stateChecksum({});
      this.#metadata = {};
      this.#locked = this.#private = false;
      this.#kept = [];
      this.#keptBytes = 0;
      this.#snapshot = undefined;
      clearTimeout(this.#saveTimer);
      this.#saveTimer = undefined;
      this.#dirty = false;
      this.#stopTicking();
      this.#storedReservation = "";
      shared.directory.fresh(roomTypeName, this.room.id);
      Promise.all([this.room.storage.deleteAll(), this.#alarm.forget()]).catch((error: unknown) => this.#log("error", "rooms.dispose_failed", error, {}));
    }

    async onStart(): Promise<void> {
      shared.started?.();
      const found = await this.room.storage.get([STATE_KEY, ALARM_KEY, RESERVED_KEY]);
      this.#alarm.restore(found.get(ALARM_KEY));
      const stored = found.get(STATE_KEY) as StoredRoom | undefined;
      const reserved = found.get(RESERVED_KEY);
      if (isReservation(reserved)) this.#storedReservation = JSON.stringify(reserved);
      this.#holdStoredSeats(isReservation(reserved) ? reserved : stored?.reserved, stored?.seated ?? []);
      if (!stored) return shared.directory.fresh(roomTypeName, this.room.id); // listed as being created for its joins
      this.#created = true;
      this.#state = stored.state;
      this.#sent = clone(stored.state);
      this.#seq = stored.seq;
      this.#metadata = stored.metadata;
      this.#locked = stored.locked === true;
      this.#private = stored.private === true;
      this.#disposing = stored.disposing === true;
      this.#unjoined = stored.unjoined === true;
      this.#checksum = stateChecksum(this.#sent);
      for (const player of stored.seated ?? []) this.#keptSeats.restore(player, stored.seatedUntil?.[player]);
      this.#savedSeated = (stored.seated ?? []).join("\n");
      this.#list();
    }

    /**
     * The seats a match held for participants not in yet when the room was stored (stored as the match was made,
     * match-seats.ts), held again if the directory lost them (a restart) and their time is not up: a stranger does not
     * take one, and the match waits for them. A directory that still has them knows better (who arrived since). What
     * is stored then follows: an expired reservation is deleted.
     */
    #holdStoredSeats(reserved: Reservation | undefined, seated: readonly string[]): void {
      if (reserved && reserved.until > Date.now() && !shared.directory.seats.reservedFor(roomTypeName, this.room.id)) {
        const players = reserved.players.filter((player) => !seated.includes(player));
        if (players.length > 0) shared.directory.seats.reserve(roomTypeName, this.room.id, players, reserved.until);
      }
      this.#syncReservation();
    }

    /**
     * A matchmaker made a match in this room (match-seats.ts): its seats are held at once and stored before the answer,
     * which the players are told only after. A room nobody joins comes back by its alarm when they are free, to
     * delete them (a match nobody came to leaves nothing stored). Not for players in the room already: told without
     * waiting for this (the store past `seatStoreTimeoutMs`), they may have joined before it came.
     */
    async onRequest(request: Request): Promise<Response> {
      const reservation = await reservationAsked(request);
      if (!reservation) return closedToClients();
      const seated = this.#seated();
      const players = reservation.players.filter((player) => !seated.includes(player));
      shared.directory.seats.reserve(roomTypeName, this.room.id, players, reservation.until);
      await this.#storeReservation();
      if (!this.#created) await this.#alarm.setLayer(reservation.until);
      return new Response(null, { status: 204 });
    }

    /**
     * Stores the seats the directory holds for this room (`RESERVED_KEY`, deleted once none are held), if they changed.
     * Once none are (every player arrived, or their time is up), the alarm armed to forget them is not needed: it is
     * armed again for the seats kept since a stop, if any (their times are known by then, also in `onStart`), else
     * cleared, so that the room is not loaded again for nothing.
     */
    async #storeReservation(): Promise<void> {
      const reservation = shared.directory.seats.reservation(roomTypeName, this.room.id);
      const json = reservation ? JSON.stringify(reservation) : "";
      if (json === this.#storedReservation) return;
      this.#storedReservation = json;
      await (reservation ? this.room.storage.put(RESERVED_KEY, reservation) : this.room.storage.delete(RESERVED_KEY));
      if (!reservation && this.#alarm.layerArmed) await this.#alarm.setLayer(this.#layerDue(this.#keptSeats.nextDue()) ?? null);
    }

    #syncReservation(): void {
      this.#storeReservation().catch((error: unknown) => this.#log("error", "rooms.save_failed", error, {}));
    }

    onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Connection): void | Promise<void> {
      if (typeof message !== "string") return;
      const envelope = JSON.parse(message) as Envelope<Record<string, unknown>>;
      const p = envelope.p;
      if (envelope.t === Link.Join) return this.#join(conn, p as unknown as JoinRequest);
      const member = this.#members.get(conn.id);
      if (!member || member.conn !== conn) return void this.#joining.get(conn)?.push(message);
      switch (envelope.t) {
        case Link.Resume:
          return this.#catchUp(member);
        case MessageType.Message:
        case MessageType.MessageBytes:
          return this.#input(member, envelope.t === MessageType.MessageBytes, p);
        case MessageType.Ack:
          return this.#ack(member, p.seq, p.checksum);
        case MessageType.Resync:
          return this.#sendAskedSnapshot(member);
      }
    }

    async onClose(conn: Connection, code?: number): Promise<void> {
      // A join under way cut by the room stopping (its connections close before onStop): see #joinInTurn.
      if (code === CloseCode.GoingAway || code === CloseCode.ServiceRestart) this.#cutByStop.add(conn);
      this.#closesHandled.add(conn);
      this.#closeWaiters.get(conn)?.();
      this.#closeWaiters.delete(conn);
      const member = this.#members.get(conn.id);
      if (!member || member.conn !== conn) return;
      try {
        // Replaced by a newer connection of the same player (a second session): its join takes the seat over.
        if (code === CloseCode.Replaced) return;
        // The room stopping (shutdown, reload) is not the player leaving: its seat is stored with the state, and kept
        // before the member goes, so that the room is never listed without it meanwhile.
        const stopping = code === CloseCode.GoingAway || code === CloseCode.ServiceRestart;
        if (stopping) this.#keptSeats.keepAtStop(member.player);
        this.#removeMember(member);
        if (!stopping) await this.#leave(member.player);
      } finally {
        member.closeHandled = true;
        member.closeWaiters?.();
      }
    }

    /**
     * A join of a player who is a member through another connection. That connection is closed by now (the runtime
     * replaces a connection with the same id), but its close may not have been handled: a session that left and
     * joined again at once, or a second session taking the seat over. Its `onClose` runs first and says which.
     */
    async #previousClosed(previous: Member, conn: Connection): Promise<void> {
      await (previous.whenCloseHandled ??= new Promise<void>((resolve) => (previous.closeWaiters = resolve)));
      // The player left (onLeave ran): a disposed room nobody else is in goes now, and this join creates it anew. (The
      // frames that came behind the join stay held for it.)
      const held = this.#joining.get(conn) ?? [];
      this.#joining.delete(conn);
      this.#discardIfEmpty();
      this.#joining.set(conn, held);
    }

    onAlarm(): void | Promise<void> {
      // Kept seats due bring the room back (their timers, set as it started, expire them); the rest is the type's.
      const { typeDue, written } = this.#alarm.fired(Date.now());
      written.catch((error: unknown) => this.#log("error", "rooms.alarm_failed", error, {}));
      this.#syncReservation(); // held seats whose time is up are forgotten

      if (!typeDue) return this.#discardIfEmpty(); // a room no join got into goes once the seats a match held in it are free
      // A throw is retried by the runtime: the type's alarm is due again for it (not in a room discarded meanwhile).
      const failed = (error: unknown): never => {
        if (this.#created) this.#alarm.typeFailed();
        throw error;
      };
      try {
        const ran = this.#run(() => type.onAlarm?.call(this.#api));
        return ran instanceof Promise ? ran.catch(failed) : ran;
      } catch (error) {
        failed(error);
      }
    }

    async onStop(): Promise<void> {
      // A join under way is cut by the stop: its player may be in the state already (stored with it: its onJoin ran
      // part-way, its kept seat was taken), so its seat is kept like a member's, to expire (onLeave) unless it comes
      // back. (An onJoin that had not written it yet makes that onLeave one for a player the state does not hold.)
      // (Not one whose player closed its connection first: it left, and its join ends in onLeave here.)
      for (const conn of this.#joining.keys())
        if (this.#inJoin.has(conn.id) && !this.#members.has(conn.id) && !this.#leftFirst(conn)) this.#keptSeats.keepAtStop(conn.id);
      const due = this.#keptSeats.stop();
      this.#flush();
      // What the interval held back; the seats' times; who is seated, when that changed since the last save (a leave
      // that changed no state: its seat would come back with the stored list).
      if (this.#saveTimer || due !== undefined || (this.#created && this.#seated().join("\n") !== this.#savedSeated)) this.#save();
      this.#stopTicking();
      this.#stopped = true; // a join the stop cut may end here later: the room must not be listed, run onLeave or write again
      for (const told of this.#closeWaiters.values()) told(); // (a join waiting for its close's reason: the stop)
      this.#closeWaiters.clear();
      shared.directory.remove(roomTypeName, this.room.id);
      // The room comes back by itself when the seats kept are due, joined again or not, or the held seats are free.
      const at = this.#layerDue(due);
      if (at !== undefined) await this.#alarm.setLayer(at).catch((error: unknown) => this.#log("error", "rooms.alarm_failed", error, {}));
    }

    /**
     * When the rooms layer needs the room back: the earlier of `keptDue` (the seats kept) and the time a match's held
     * seats are free (to forget them). Armed for one only, the other would wait for the next load: seats kept due first
     * bring the room back, their alarm is spent, and an idle unload then leaves the held seats stored. Held seats not
     * stored (a disposed room's discard deleted them, the match's participants still awaited) need no alarm: there is
     * nothing to delete, and the room would come back for nothing, its alarm and `ALARM_KEY` stored after its discard.
     */
    #layerDue(keptDue: number | undefined): number | undefined {
      const heldUntil = this.#storedReservation === "" ? undefined : shared.directory.seats.reservation(roomTypeName, this.room.id)?.until;
      return keptDue === undefined || heldUntil === undefined ? (keptDue ?? heldUntil) : Math.min(keptDue, heldUntil);
    }

    // ---- joining ---------------------------------------------------------------------------------

    /** A player's `onLeave`, which a join of the same player waits for. */
    async #leave(player: string): Promise<void> {
      this.#list(); // its seat is free (a kept seat's time was up, or its join back failed)
      const leaving = Promise.resolve(this.#run(() => type.onLeave?.call(this.#api, player)));
      const settled = leaving.then(noop, noop);
      this.#leaving.set(player, settled);
      try {
        await leaving;
      } finally {
        if (this.#leaving.get(player) === settled) this.#leaving.delete(player);
      }
    }

    /** Joins of one player run one at a time, in order (each after the hooks of the one before). */
    #join(conn: Connection, request: JoinRequest): Promise<void> {
      this.#joining.set(conn, []); // its frames wait for the join
      const player = request.player;
      this.#joinsWaiting.set(player, (this.#joinsWaiting.get(player) ?? 0) + 1);
      const step = (): Promise<void> => {
        const waiting = this.#joinsWaiting.get(player)! - 1;
        if (waiting > 0) this.#joinsWaiting.set(player, waiting);
        else this.#joinsWaiting.delete(player);
        return this.#joinInTurn(conn, request);
      };
      const before = this.#joinTurns.get(player);
      const run = before ? before.then(step) : step();
      const settled = run.then(noop, noop);
      this.#joinTurns.set(player, settled);
      void settled.then(() => this.#joinTurns.get(player) === settled && this.#joinTurns.delete(player));
      return run;
    }

    async #joinInTurn(conn: Connection, request: JoinRequest): Promise<void> {
      const player = request.player;
      const previous = this.#members.get(player);
      if (previous && previous.conn !== conn && !previous.closeHandled && previous.conn.readyState !== 1) await this.#previousClosed(previous, conn);
      await this.#leaving.get(player);
      // In the room already: a member through another connection (a second session takes the seat over), or through
      // an earlier join whose connection closed meanwhile.
      const handedOver = this.#handedOver.get(player);
      this.#handedOver.delete(player); // (taken either way: it is for this join only)
      // Asking otherwise than the join it would take over (another password, an unnamed join that picked this room): its
      // onJoin judges it, as any join's, once the player left (else a join onJoin refuses was let in unjudged, and the
      // session's rejoin after a reload, with its options, threw the player out).
      const takesOver = handedOver !== undefined && handedOver === canonicalJson(request.options);
      if (handedOver !== undefined && !takesOver) await this.#leaveLogic(player);
      const rejoin = this.#members.has(player) || takesOver;
      // A player back after the room stopped with it seated has its seat kept (and joins like any other)
      const seatKept = this.#keptSeats.has(player);
      if (!rejoin && !seatKept && this.#seatsTaken(player) >= maxClients) {
        this.#joining.delete(conn);
        return this.#refuse(conn, `room "${this.room.id}" is full (${maxClients} clients)`);
      }
      // Locked: only those with a seat in it already (a kept one, one a match holds for them, one an unnamed join was
      // promised as it found the room listed) come in, as Colyseus lets a reconnection or a seat reserved before the lock in.
      const reserved = () => request.listed || shared.directory.seats.reservedFor(roomTypeName, this.room.id)?.has(player);
      if (this.#locked && !rejoin && !seatKept && !reserved()) {
        this.#joining.delete(conn);
        return this.#refuse(conn, `room "${this.room.id}" is locked: it takes no new players`);
      }
      this.#keptSeats.take(player);
      if (seatKept) this.#inJoin.add(player); // in the room's logic already
      let held: string[] = [];
      let joined = false;
      let cut = false;
      let refused = false;
      let fault: unknown;
      try {
        const creates = !this.#created && this.#creating === undefined; // (its options made the room)
        if (!this.#created) await (this.#creating ??= this.#create(request.options).finally(() => (this.#creating = undefined)));
        // Private: joined by name only. An unnamed join sent here before the room said so (its onCreate running for
        // another join) goes to another room; one that found it listed holds its seat as a reservation (Colyseus lets a
        // seat reserved before setPrivate() in).
        if (request.unnamed && this.#private && !creates && !rejoin && !seatKept)
          throw new RoomError(`room "${this.room.id}" is private: it is joined by name only`);
        // Stopped as its onCreate ran: the player never came into this instance's logic, and no longer comes (the
        // join goes on in the next instance, or its player left): no onJoin here, which no onLeave would follow.
        const enters = !rejoin && !this.#stopped;
        if (enters) {
          this.#inJoin.add(player); // in the room's logic from here (its onJoin may write it into the state)
          await this.#run(() => type.onJoin?.call(this.#api, player, request.options));
        }
        joined = rejoin || enters;
      } catch (error) {
        // A RoomError from onCreate or onJoin refuses the join with its reason (a ban, a password, a locked room).
        if (error instanceof RoomError) {
          refused = true;
          this.#refuse(conn, error.message);
        } else fault = error ?? new Error("onJoin threw");
      } finally {
        // A connection closed under the join: why (the room stopping, or the session leaving) is known once its onClose
        // ran, which comes after the connection reads closed. Cut by the stop (or stopped), a player in the room's logic
        // keeps its seat for the room's next instance, where the join goes on or the seat expires, as a member's is kept
        // at the stop (onStop, still to come, stores it; once it ran, nothing here is the room's any more): no onLeave.
        // (A refused join's connection is the room's own close: no wait.)
        const inLogic = joined || rejoin || seatKept;
        if (inLogic && !refused && conn.readyState !== 1 && !this.#closesHandled.has(conn) && !this.#stopped) await this.#closeHandled(conn);
        // (Its player closed it before the stop: it left, as before any stop. Else, stopped, the reason is the stop.)
        cut = this.#cutByStop.has(conn) || (this.#stopped && !this.#leftFirst(conn));
        if (cut && !this.#stopped && inLogic && !this.#members.has(player)) this.#keptSeats.keepAtStop(player);
        // Listed as seated while in the logic (#list): a join that made no member frees its seat there.
        if (this.#inJoin.delete(player) && !joined) this.#list();
        held = this.#joining.get(conn) ?? [];
        this.#joining.delete(conn);
        // A join that held a discard back and did not make a member (refused, thrown, left meanwhile): the room may go.
        queueMicrotask(() => this.#discardIfEmpty());
      }
      if (cut) {
        if (fault !== undefined) throw fault;
        return;
      }
      if (fault !== undefined) {
        // A fault (the runtime closes the connection, 1011): a player who was in the room (a seat kept) leaves it.
        await this.#notJoined(request, rejoin || seatKept);
        throw fault;
      }
      if (!joined || conn.readyState !== 1) return this.#notJoined(request, joined || rejoin || seatKept);
      this.#flush(); // the join's own changes reach the others as a patch, and the joiner in its snapshot
      this.#members.set(player, { player, conn, ack: -1, nextSnapshotAt: 0 });
      if (this.#unjoined) {
        this.#unjoined = false;
        this.#scheduleSave(); // (stored: a restart must not take it for a room none got into)
      }
      shared.directory.seats.arrived(roomTypeName, this.room.id, player);
      this.#syncReservation();
      conn.send(JSON.stringify({ t: Link.Joined, p: { room: this.room.id, room_type: roomTypeName, seq: this.#seq } }));
      if (syncState) conn.send(this.#snapshotFrame());
      this.#list();
      this.#startTicking();
      for (const frame of held) await this.onMessage(frame, conn);
    }

    /** `conn`'s player closed it (a leave, its session's end) before the room's stop could: its join is given up. */
    #leftFirst(conn: Connection): boolean {
      return this.#closesHandled.has(conn) && !this.#cutByStop.has(conn);
    }

    /** Until `conn`'s onClose ran, or the room stopped. */
    #closeHandled(conn: Connection): Promise<void> {
      return new Promise((resolve) => this.#closeWaiters.set(conn, resolve));
    }

    /**
     * A join that made no member (refused, or its session left while it ran). A player who is in the room's logic
     * (its `onJoin` ran, now or for the connection it took over, or its seat was kept) leaves it, unless a later join
     * of the same player waits: that one takes it over (asking the same).
     */
    async #notJoined({ player, options }: JoinRequest, inLogic: boolean): Promise<void> {
      if (!inLogic) return;
      if (this.#joinsWaiting.has(player)) return void this.#handedOver.set(player, canonicalJson(options));
      await this.#leaveLogic(player);
    }

    /** A player in the room's logic whose join made no member leaves it (onLeave). */
    async #leaveLogic(player: string): Promise<void> {
      const replaced = this.#members.get(player); // the closed connection it took the seat over from
      if (replaced) this.#removeMember(replaced);
      await this.#leave(player);
    }

    /** `member` is no longer in the room (its `onLeave`, or its kept seat, is the caller's). */
    #removeMember(member: Member): void {
      this.#members.delete(member.player);
      clearTimeout(member.snapshotTimer);
      this.#list();
      if (this.#members.size === 0) this.#stopTicking();
    }

    /** Players holding a seat, joining for one, or whose match holds one for them (directory.ts), but `player`. */
    #seatsTaken(player: string): number {
      const taken = new Set<string>([...this.#members.keys(), ...this.#keptSeats.players()]);
      for (const conn of this.#joining.keys()) taken.add(conn.id);
      for (const participant of shared.directory.seats.reservedFor(roomTypeName, this.room.id) ?? []) taken.add(participant);
      taken.delete(player);
      return taken.size;
    }

    #refuse(conn: Connection, reason: string): void {
      conn.send(JSON.stringify({ t: Link.Refused, p: { reason } }));
      conn.close(1000, "Join refused");
    }

    /** Runs `onCreate`; the room counts as created only once it succeeded (a throw is retried by the next join). */
    async #create(options: Record<string, unknown>): Promise<void> {
      this.#state = {};
      try {
        await this.#run(() => type.onCreate?.call(this.#api, options));
      } catch (error) {
        // Not created: what it set is not the room's (a lock would refuse the next join before its onCreate is tried).
        this.#metadata = {};
        this.#locked = this.#private = false;
        this.#list();
        throw error;
      }
      this.#sent = clone(this.#state);
      this.#checksum = stateChecksum(this.#sent);
      this.#created = this.#unjoined = true;
      this.#save();
      this.#list(); // listed (or known unlisted: lock(), setPrivate() in onCreate) before its first join is done
    }

    /** `lock()`, `unlock()`, `setPrivate()`: stored with the state (no patch: saved by itself), listed or not at once. */
    #setListed(change: { locked?: boolean; private?: boolean }): void {
      if (change.locked !== undefined) this.#locked = change.locked;
      if (change.private !== undefined) this.#private = change.private;
      this.#list();
      if (this.#created) this.#scheduleSave();
    }

    /**
     * After a resumed session: the patches after its last ack, or a snapshot when they are no longer kept (or it has
     * none); then what changed since the last patch, to every member. None of it for a room whose state is not synced.
     */
    #catchUp(member: Member): void {
      if (!syncState || member.ack === this.#seq) return this.#flush();
      const oldest = this.#kept[0];
      if (member.ack >= 0 && oldest && oldest.seq <= member.ack + 1) {
        for (const patch of this.#kept) if (patch.seq > member.ack) member.conn.send(patch.frame);
      } else {
        member.conn.send(this.#snapshotFrame());
      }
      this.#flush();
    }

    // ---- inputs ----------------------------------------------------------------------------------

    #input(member: Member, binary: boolean, p: Record<string, unknown>): void | Promise<void> {
      const inputType = p.type;
      if (typeof inputType !== "string" || inputType === "") return this.#error(member, "p.type must be a non-empty string");
      let data: unknown = p.data;
      if (binary) {
        if (typeof p.data_b64 !== "string" || !BASE64.test(p.data_b64)) return this.#error(member, "p.data_b64 must be base64");
        data = new Uint8Array(Buffer.from(p.data_b64, "base64"));
      }
      const input: RoomInput = { type: inputType, data, sender: member.player, binary };
      return this.#run(() => type.onInput?.call(this.#api, input), member);
    }

    #ack(member: Member, seq: unknown, checksum: unknown): void {
      if (typeof seq !== "number" || !Number.isInteger(seq) || seq < 0 || seq > this.#seq) {
        return this.#error(member, `p.seq must be an integer from 0 to ${this.#seq}`);
      }
      const expected = seq === this.#seq ? this.#checksum : this.#kept.find((patch) => patch.seq === seq)?.checksum;
      if (syncState && typeof checksum === "string" && expected !== undefined && checksum !== expected) {
        // The client holds another state than the room sent (the seed's optional ack checksum): it gets the whole state.
        return this.#sendAskedSnapshot(member);
      }
      if (seq <= member.ack) return;
      member.ack = seq;
      this.#trimKept();
    }

    /**
     * Runs a logic hook with `this` = the room; its changes go out at the end of the tick. A `RoomError` answers
     * `member` with `error`; anything else is a fault the runtime reports (and closes that player's connection).
     */
    #run(hook: () => void | Promise<void>, member?: Member): void | Promise<void> {
      this.#sender = member?.player ?? "";
      this.#running++;
      const settle = (error?: unknown): void => {
        this.#sender = "";
        this.#dirty = true;
        this.#scheduleFlush();
        this.#running--;
        this.#discardIfEmpty(); // disposed in (or before) this hook: once its writes are called, thrown or not
        if (error === undefined) return;
        if (error instanceof RoomError && member) return this.#error(member, error.message);
        throw error;
      };
      let result: void | Promise<void>;
      try {
        result = hook();
      } catch (error) {
        return settle(error);
      }
      if (!(result instanceof Promise)) return settle();
      return result.then(() => settle(), settle);
    }

    #error(member: Member, reason: string): void {
      member.conn.send(JSON.stringify({ t: MessageType.Error, p: { reason, room: this.room.id } }));
    }

    // ---- outgoing --------------------------------------------------------------------------------

    #messageFrame(messageType: string, data: unknown): string {
      const problem = data instanceof Uint8Array ? undefined : wireShapeProblem(data, MAX_STATE_DEPTH);
      if (problem !== undefined) throw new TypeError(`a room message's data ${problem}`);
      return data instanceof Uint8Array
        ? JSON.stringify({ t: MessageType.MessageBytes, p: { room: this.room.id, type: messageType, data_b64: Buffer.from(data).toString("base64") } })
        : JSON.stringify({ t: MessageType.Message, p: { room: this.room.id, type: messageType, data } });
    }

    #broadcast(messageType: string, data: unknown, except: string | undefined): void {
      let frame = this.#messageFrame(messageType, data);
      if (unreliable.has(messageType)) frame = unreliableFrame(JSON.stringify([this.#sender, messageType]), frame);
      for (const member of this.#members.values()) if (member.player !== except) member.conn.send(frame);
    }

    #snapshotFrame(): string {
      if (this.#snapshot?.seq !== this.#seq) {
        const frame = JSON.stringify({ t: MessageType.Snapshot, p: { room: this.room.id, state: this.#sent, seq: this.#seq, checksum: this.#checksum } });
        this.#snapshot = { seq: this.#seq, frame };
      }
      return this.#snapshot.frame;
    }

    /**
     * A snapshot the client asked for (`state.resync`, a differing ack checksum), current as of now: at once, or, within
     * `minSnapshotIntervalMs` of the last one it asked for, one when that time is up (asks meanwhile join it).
     */
    #sendAskedSnapshot(member: Member): void {
      if (!syncState || member.snapshotTimer) return; // a state that is not synced is the room's alone
      const send = (): void => {
        member.snapshotTimer = undefined;
        if (this.#members.get(member.player) !== member) return; // left meanwhile
        member.nextSnapshotAt = Date.now() + shared.limits.minSnapshotIntervalMs;
        this.#flush();
        member.conn.send(this.#snapshotFrame());
      };
      const wait = member.nextSnapshotAt - Date.now();
      if (wait <= 0) send();
      else member.snapshotTimer = setTimeout(send, wait);
    }

    #scheduleFlush(): void {
      if (this.#flushScheduled) return;
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }

    /**
     * Sends what changed since the last patch as one patch (seq + 1), keeps it for late acks, stores the state.
     * A state that is not JSON (a BigInt, a cycle) or not fit for the wire (too deep, a `__proto__` key) is logged
     * and rolled back to the last state sent.
     */
    #flush(): void {
      if (!this.#created || !this.#dirty) return;
      this.#dirty = false;
      let next: { ops: ReturnType<typeof diff>; sent: unknown; checksum: string; frame: string };
      try {
        const problem = wireShapeProblem(this.#state, MAX_STATE_DEPTH);
        if (problem !== undefined) throw new TypeError(`the state ${problem}`);
        const ops = diff(this.#sent, this.#state);
        if (ops.length === 0) return;
        // One walk gives the checksum and the copy kept as "sent" (and refuses what is not JSON).
        const canonical = canonicalJson(this.#state);
        const sent: unknown = JSON.parse(canonical);
        const checksum = canonicalChecksum(canonical);
        const frame = JSON.stringify({ t: MessageType.Patch, p: { room: this.room.id, ops, seq: this.#seq + 1, checksum } });
        next = { ops, sent, checksum, frame };
      } catch (error) {
        this.#log("error", "rooms.state_invalid", error, {
          message: "The room's state is not plain JSON fit for the wire; it was rolled back to the last state sent",
        });
        this.#state = clone(this.#sent);
        return;
      }
      const { frame } = next;
      this.#sent = next.sent;
      this.#seq++;
      this.#checksum = next.checksum;
      if (syncState) {
        for (const member of this.#members.values()) member.conn.send(frame);
        this.#kept.push({ seq: this.#seq, frame, checksum: this.#checksum });
        this.#keptBytes += frame.length;
        this.#trimKept();
      }
      this.#scheduleSave();
    }

    /** Keeps patches back to the oldest ack, and never more than `maxKeptPatches` nor `maxKeptPatchBytes`. */
    #trimKept(): void {
      let oldestAck = this.#seq;
      for (const member of this.#members.values()) oldestAck = Math.min(oldestAck, member.ack);
      const { maxKeptPatches, maxKeptPatchBytes } = shared.limits;
      let drop = 0;
      while (
        drop < this.#kept.length &&
        (this.#kept[drop]!.seq <= oldestAck || this.#kept.length - drop > maxKeptPatches || this.#keptBytes > maxKeptPatchBytes)
      ) {
        this.#keptBytes -= this.#kept[drop]!.frame.length;
        drop++;
      }
      if (drop > 0) this.#kept.splice(0, drop);
    }

    /** At most one write per `saveIntervalMs` (0: every patch); the last state is always written at unload. */
    #scheduleSave(): void {
      // Stopped: the room's storage is its next instance's (a hook of a join the stop cut may settle here later).
      if (this.#stopped) return;
      const interval = shared.limits.saveIntervalMs;
      if (interval <= 0) return this.#save();
      this.#saveTimer ??= setTimeout(() => this.#save(), interval);
    }

    /** `players`, then those whose join is in the room's logic (its `onJoin` running), as Colyseus's `clients` has them. */
    #withJoining(players: Iterable<string>): string[] {
      return [...new Set([...players, ...this.#inJoin])];
    }

    /** The players holding a seat (members and kept seats), as stored. */
    #seated(): string[] {
      return [...new Set([...this.#members.keys(), ...this.#keptSeats.players()])];
    }

    #save(): void {
      clearTimeout(this.#saveTimer);
      this.#saveTimer = undefined;
      if (this.#stopped) return; // (as #scheduleSave)
      const seated = this.#seated();
      this.#savedSeated = seated.join("\n");
      const seatedUntil = this.#keptSeats.times();
      const stored: StoredRoom = {
        state: this.#sent,
        seq: this.#seq,
        metadata: this.#metadata,
        seated,
        ...(seatedUntil ? { seatedUntil } : {}),
        ...(this.#disposing ? { disposing: true } : {}),
        ...(this.#unjoined ? { unjoined: true } : {}),
        ...(this.#locked ? { locked: true } : {}),
        ...(this.#private ? { private: true } : {}),
      };
      this.room.storage.put(STATE_KEY, stored).catch((error: unknown) => this.#log("error", "rooms.save_failed", error, {}));
      this.#syncReservation();
    }

    #log(level: "warn" | "error", event: string, error: unknown, fields: Record<string, unknown>): void {
      const code = event === "room.hook_failed" ? "ERR_HOOK_FAILED" : "ERR_INTERNAL";
      shared.logger[level](event, { code, party: this.room.name, room: this.room.id, ...fields, error });
    }

    #list(): void {
      if (this.#stopped) return;
      // Not created yet: a room its onCreate locks or makes private is known unlisted from then on, so that no unnamed
      // join is promised a seat in it as in a room being created; else it is one being created for its joins.
      if (!this.#created && !this.#locked && !this.#private) return shared.directory.fresh(roomTypeName, this.room.id);
      // Its seats taken, as a join counts them: the players seated, connected or with a seat kept since a stop (as
      // Colyseus counts a client awaited by allowReconnection), or in the room's logic as their join runs (one back
      // after a reload has its kept seat taken and is promised nothing meanwhile); the directory adds those a match
      // holds and those joining, each player once.
      const seated = this.#withJoining(this.#seated());
      const listing = { room: this.room.id, room_type: roomTypeName, clients: seated.length, max_clients: maxClients, metadata: this.#metadata };
      shared.directory.update(listing, seated, !this.#locked && !this.#private);
    }

    /**
     * Ticks on a fixed schedule (the n-th at start + n × tickMs), so a late tick makes the next one come sooner
     * instead of every later tick shifting (a loaded process keeps its tick rate); more than a tick behind, the next
     * runs at once and the schedule goes on from there: missed ticks are skipped, not run in a burst.
     */
    #startTicking(): void {
      const tickMs = type.tickMs;
      if (!type.onTick || !tickMs || this.#tick) return;
      let last = Date.now();
      let due = last + tickMs;
      const tick = (): void => {
        const now = Date.now();
        const elapsed = now - last;
        last = now;
        due = Math.max(due + tickMs, now + 1);
        this.#tick = setTimeout(tick, due - now);
        const failed = (error: unknown) => this.#log("error", "room.hook_failed", error, { hook: "onTick" });
        try {
          void Promise.resolve(this.#run(() => type.onTick!.call(this.#api, elapsed))).catch(failed);
        } catch (error) {
          failed(error);
        }
      };
      this.#tick = setTimeout(tick, tickMs);
    }

    #stopTicking(): void {
      clearTimeout(this.#tick);
      this.#tick = undefined;
    }
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const noop = (): void => {};
