/**
 * The live rooms of a protocol, per room type (what `room.list` answers), and the seats promised to unnamed joins
 * still on their way: plain data, kept up to date by the rooms (created, clients changed, unloaded) and by the joins.
 * It outlives the mounts a reload replaces (`yparty dev`: one `MatchmakingState` keeps it), since a session open across
 * a rebuild stays its mount's while the rooms it lists come back as the next mount's instances; each mount's
 * `RoomDirectory` reads it with its code's room types. Process-local: with the cluster it moves behind the registry.
 */
import type { RoomListing } from "./wire/index.js";

export class RoomListings {
  readonly #byType = new Map<string, Map<string, RoomListing>>();
  /** Per room type, the live rooms neither listed nor matched (locked, private): known, so not "being created". */
  readonly #unlisted = new Map<string, Set<string>>();
  /** Per room type, per room: seats promised to unnamed joins still on their way. */
  readonly #promised = new Map<string, Map<string, number>>();

  /** A live room's listing; `listed` false: it is known, but neither listed nor matched. */
  update(listing: RoomListing, listed = true): void {
    const { room_type: roomType, room } = listing;
    // (A listed room keeps its place: unnamed joins fill rooms in the order they were listed.)
    if (!listed) {
      this.#byType.get(roomType)?.delete(room);
      return void mapped(this.#unlisted, roomType, () => new Set()).add(room);
    }
    this.#unlisted.get(roomType)?.delete(room);
    mapped(this.#byType, roomType, () => new Map()).set(room, listing);
  }

  remove(roomType: string, room: string): void {
    this.#byType.get(roomType)?.delete(room);
    this.#unlisted.get(roomType)?.delete(room);
  }

  /** The listed rooms of `roomType` (every type's when undefined), as stored: the caller copies what it hands out. */
  of(roomType?: string): Iterable<RoomListing> {
    return roomType === undefined ? [...this.#byType.values()].flatMap((rooms) => [...rooms.values()]) : (this.#byType.get(roomType)?.values() ?? []);
  }

  /** Whether `room` is live, listed or not (a room promised seats and not live is still being created). */
  has(roomType: string, room: string): boolean {
    return (this.#byType.get(roomType)?.has(room) ?? false) || (this.#unlisted.get(roomType)?.has(room) ?? false);
  }

  /** Per room of `roomType`, the seats promised to joins on their way. */
  promised(roomType: string): ReadonlyMap<string, number> {
    return this.#promised.get(roomType) ?? new Map<string, number>();
  }

  /** The room types with seats promised. */
  promisedTypes(): Iterable<string> {
    return this.#promised.keys();
  }

  promise(roomType: string, room: string): void {
    const promised = mapped(this.#promised, roomType, () => new Map<string, number>());
    promised.set(room, (promised.get(room) ?? 0) + 1);
  }

  release(roomType: string, room: string): void {
    const promised = this.#promised.get(roomType);
    const seats = (promised?.get(room) ?? 0) - 1;
    if (seats > 0) promised!.set(room, seats);
    else promised?.delete(room);
    if (promised?.size === 0) this.#promised.delete(roomType);
  }
}

/** `map`'s value at `key`, made by `make` the first time. */
function mapped<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}
