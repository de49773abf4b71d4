/**
 * The live rooms: one `LiveRoom` per party+room id, created on first use and unloaded after
 * `limits.idleUnloadMs` without connections, requests or alarms (after `onStop` has flushed it), or at once
 * when more than `limits.maxIdleRooms` rooms are idle (the longest idle first), or when its party keeps
 * nothing in memory. An arrival during an unload waits for it, then gets a fresh room.
 */
import { RuntimeError } from "./errors.js";
import type { Limits } from "./limits.js";
import type { LiveRoom } from "./room.js";
import { storageName } from "./room-names.js";

export class RoomRegistry {
  readonly #rooms = new Map<string, LiveRoom>();
  readonly #unloading = new Map<string, Promise<void>>();
  readonly #idleTimers = new Map<LiveRoom, NodeJS.Timeout>();
  #closed = false;

  constructor(
    private readonly createRoom: (party: string, roomId: string) => LiveRoom,
    private readonly limits: () => Pick<Limits, "idleUnloadMs" | "maxIdleRooms">,
  ) {}

  /** Runs `fn` with the live room (creating it); retried once if the room started unloading meanwhile. */
  async withRoom<T>(party: string, roomId: string, fn: (room: LiveRoom) => Promise<T>): Promise<T> {
    const key = storageName(party, roomId);
    for (;;) {
      if (this.#closed) throw new RuntimeError("ERR_SHUTTING_DOWN", "The server is shutting down", 503);
      const unloading = this.#unloading.get(key);
      if (unloading) await unloading;
      let room = this.#rooms.get(key);
      if (!room) {
        room = this.createRoom(party, roomId);
        this.#rooms.set(key, room);
      }
      if (!room.stopped) {
        this.#cancelIdle(room);
        return fn(room);
      }
    }
  }

  get(party: string, roomId: string): LiveRoom | undefined {
    return this.#rooms.get(storageName(party, roomId));
  }

  list(): LiveRoom[] {
    return [...this.#rooms.values()];
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
    const unloading = room.stop(closeCode, reason).finally(() => this.#unloading.delete(key));
    this.#unloading.set(key, unloading);
    return unloading;
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

  #cancelIdle(room: LiveRoom): void {
    const timer = this.#idleTimers.get(room);
    if (timer) clearTimeout(timer);
    this.#idleTimers.delete(room);
  }
}
