/**
 * The live rooms: one `LiveRoom` per party+room id, created on first use and unloaded after
 * `limits.idleUnloadMs` without connections, requests or alarms (after `onStop` has flushed it), or at once
 * when more than `limits.maxIdleRooms` rooms are idle (the longest idle first), or when its party keeps
 * nothing in memory. An arrival during an unload waits for it, then gets a fresh room.
 * With a placement (several nodes), a room is created only once the placement says this node holds it; a room held
 * elsewhere is reported as `RoomElsewhere`, and a stopped room is released to the placement.
 */
import { CloseCode } from "../protocol/index.js";
import { RuntimeError } from "./errors.js";
import type { Limits } from "./limits.js";
import type { RoomPlacement } from "./placement.js";
import { type LiveRoom, RoomStopped } from "./room.js";
import { storageName } from "./room-names.js";

/** The room is served by another node, at `owner` (its advertised address). */
export class RoomElsewhere extends Error {
  override readonly name = "RoomElsewhere";
  constructor(readonly owner: string) {
    super(`The room is served by ${owner}`);
  }
}

export class RoomRegistry {
  readonly #rooms = new Map<string, LiveRoom>();
  readonly #unloading = new Map<string, Promise<void>>();
  readonly #idleTimers = new Map<LiveRoom, NodeJS.Timeout>();
  /** Claims under way with the placement, one per room however many arrivals wait for it. */
  readonly #claims = new Map<string, Promise<string | undefined>>();
  /** Rooms being unloaded because this node lost them: not released (they are no longer ours to release). */
  readonly #lost = new Set<LiveRoom>();
  #closed = false;

  constructor(
    private readonly createRoom: (party: string, roomId: string) => LiveRoom,
    private readonly limits: () => Pick<Limits, "idleUnloadMs" | "maxIdleRooms">,
    private readonly placement?: RoomPlacement,
  ) {}

  /** Runs `fn` with the live room (creating it); retried once if the room started unloading meanwhile. */
  async withRoom<T>(party: string, roomId: string, fn: (room: LiveRoom) => T | Promise<T>): Promise<T> {
    const key = storageName(party, roomId);
    for (;;) {
      const room = this.roomNow(party, roomId);
      if (room) {
        try {
          return await fn(room);
        } catch (error) {
          if (!(error instanceof RoomStopped)) throw error;
          continue; // it stopped while this waited for its turn: the next instance takes it
        }
      }
      const unloading = this.#unloading.get(key);
      if (unloading) {
        await unloading;
      } else if (this.placement && !this.#rooms.has(key)) {
        const owner = await this.locate(party, roomId);
        if (owner !== undefined) throw new RoomElsewhere(owner);
      }
    }
  }

  /**
   * The live room, created if nothing must be waited for first (a previous instance unloading, the placement's
   * claim); undefined when something must: `withRoom` waits. Connects take a room this way without a promise.
   * Throws ERR_SHUTTING_DOWN once the registry is closed.
   */
  roomNow(party: string, roomId: string): LiveRoom | undefined {
    this.#checkOpen();
    const key = storageName(party, roomId);
    if (this.#unloading.has(key)) return undefined;
    let room = this.#rooms.get(key);
    if (!room) {
      if (this.placement) return undefined;
      room = this.createRoom(party, roomId);
      this.#rooms.set(key, room);
    }
    if (room.stopped || !this.servedHere(room)) return undefined;
    this.#cancelIdle(room);
    return room;
  }

  /**
   * Whether the live `room` may still be served here: always on one node; in a cluster while this node holds its
   * lease. A room whose lease ran out is lost now (closed 1013, unloaded) rather than when the lease's timer runs.
   */
  servedHere(room: LiveRoom): boolean {
    if (!this.placement || this.placement.holds(room.party, room.id)) return true;
    this.lose(room.party, room.id);
    return false;
  }

  /**
   * Where the room is served: `undefined` when here (it is live, or this node has just claimed and created it), else
   * the owner's address. Without a placement, always here (the room is created by its first use).
   */
  async locate(party: string, roomId: string): Promise<string | undefined> {
    const placement = this.placement;
    if (!placement) return undefined;
    const key = storageName(party, roomId);
    for (;;) {
      this.#checkOpen();
      const unloading = this.#unloading.get(key);
      if (unloading) await unloading;
      const live = this.#rooms.get(key);
      if (live && !live.stopped) return undefined;
      if (live) continue; // stopping: its unload is registered by now
      let claim = this.#claims.get(key);
      if (!claim) {
        claim = placement.claim(party, roomId).finally(() => this.#claims.delete(key));
        this.#claims.set(key, claim);
      }
      const owner = await claim;
      if (owner !== undefined) return owner;
      if (this.#rooms.has(key) || this.#unloading.has(key)) continue;
      this.#createClaimed(key, party, roomId, placement);
      return undefined;
    }
  }

  /** Creates a room this node has just claimed; it unloads (and is released) if nothing comes to use it. */
  #createClaimed(key: string, party: string, roomId: string, placement: RoomPlacement): void {
    let room: LiveRoom;
    try {
      room = this.createRoom(party, roomId);
    } catch (error) {
      void placement.released(party, roomId);
      throw error;
    }
    this.#rooms.set(key, room);
    this.mayBeIdle(room);
  }

  /** This node lost the room (see `PlacementHost.lose`): close it with 1013 and unload it without releasing it. */
  lose(party: string, roomId: string): void {
    const room = this.#rooms.get(storageName(party, roomId));
    if (!room) return;
    this.#lost.add(room);
    void this.unload(room, CloseCode.TryAgainLater, "The room moved or lost its lease; try again");
  }

  #checkOpen(): void {
    if (this.#closed) throw new RuntimeError("ERR_SHUTTING_DOWN", "The server is shutting down", 503);
  }

  get(party: string, roomId: string): LiveRoom | undefined {
    return this.#rooms.get(storageName(party, roomId));
  }

  list(): LiveRoom[] {
    return [...this.#rooms.values()];
  }

  /** The live rooms, without a copy (the heartbeat walks them every round). */
  rooms(): IterableIterator<LiveRoom> {
    return this.#rooms.values();
  }

  /**
   * Called by rooms whenever they may be idle: (re)arms the unload timer, or unloads at once a room whose party
   * keeps nothing in memory (a request for a document that does not exist must not leave a live room behind).
   */
  mayBeIdle(room: LiveRoom): void {
    if (room.stopped || !room.isIdle()) return;
    if (room.unloadsWhenIdle) {
      this.#cancelIdle(room);
      return void this.unloadIfIdle(room);
    }
    if (this.#idleTimers.has(room)) return;
    const { idleUnloadMs, maxIdleRooms } = this.limits();
    const timer = setTimeout(() => {
      this.#idleTimers.delete(room);
      void this.unloadIfIdle(room);
    }, idleUnloadMs);
    timer.unref();
    this.#idleTimers.set(room, timer);
    // Idle rooms in the order they became idle (a Map keeps insertion order): past the cap, the oldest goes now.
    for (const [oldest] of this.#idleTimers) {
      if (this.#idleTimers.size <= maxIdleRooms) break;
      this.#cancelIdle(oldest);
      void this.unloadIfIdle(oldest);
    }
  }

  /** Unloads `room` if nothing uses it (no connection, request, queued frame or alarm); false if something does. */
  async unloadIfIdle(room: LiveRoom): Promise<boolean> {
    if (!room.isIdle()) return false;
    await this.unload(room, 1000, "Room unloaded");
    return true;
  }

  /** Stops the room (closing its sockets with `closeCode`, awaiting `onStop`) and forgets it. */
  async unload(room: LiveRoom, closeCode: number, reason: string): Promise<void> {
    const key = storageName(room.party, room.id);
    this.#cancelIdle(room);
    if (this.#rooms.get(key) !== room) return this.#unloading.get(key);
    this.#rooms.delete(key);
    const unloading = room
      .stop(closeCode, reason)
      .then(() => this.#released(room))
      .catch(() => {}) // the placement logs what it could not release; the lease then runs out by itself
      .finally(() => this.#unloading.delete(key));
    this.#unloading.set(key, unloading);
    return unloading;
  }

  /**
   * Runs `work` on a room at rest (no connection, nothing in flight; a loaded one is unloaded first), holding the room
   * from loading until `work` is done: a request meanwhile waits, then loads what `work` left. Undefined, and nothing
   * run, when the room is in use.
   */
  async whileAtRest<T>(party: string, roomId: string, work: () => Promise<T>): Promise<T | undefined> {
    const key = storageName(party, roomId);
    for (let unloading = this.#unloading.get(key); unloading; unloading = this.#unloading.get(key)) await unloading;
    const room = this.#rooms.get(key);
    if (room && !room.isAtRest()) return undefined;
    const run = (async () => {
      if (room) {
        this.#cancelIdle(room);
        this.#rooms.delete(key);
        await room.stop(1000, "Room unloaded").catch(noop);
      }
      try {
        return await work();
      } finally {
        // Its lease (a cluster's) is let go only after `work`: no other node loads the room meanwhile.
        if (room) await this.#released(room).catch(noop);
      }
    })();
    const held = run.then(noop, noop).finally(() => this.#unloading.get(key) === held && this.#unloading.delete(key));
    this.#unloading.set(key, held);
    return run;
  }

  /** Unloads every room for good: later arrivals get ERR_SHUTTING_DOWN (server close). */
  async close(closeCode: number, reason: string): Promise<void> {
    this.#closed = true;
    await this.unloadAll(closeCode, reason);
  }

  async unloadAll(closeCode: number, reason: string): Promise<void> {
    await Promise.all(this.list().map((room) => this.unload(room, closeCode, reason)));
    await Promise.all([...this.#unloading.values()]);
  }

  /** After the room's last write: the placement may let another node take it (unless this node lost it). */
  async #released(room: LiveRoom): Promise<void> {
    if (this.#lost.delete(room) || !this.placement) return;
    await this.placement.released(room.party, room.id);
  }

  #cancelIdle(room: LiveRoom): void {
    const timer = this.#idleTimers.get(room);
    if (timer) clearTimeout(timer);
    this.#idleTimers.delete(room);
  }
}

const noop = (): void => {};
