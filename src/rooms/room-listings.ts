/**
 * The live rooms of a protocol, per room type (what `room.list` answers, and who holds a seat in each), and the seats
 * promised to joins still on their way, per player: plain data, kept up to date by the rooms (created, clients
 * changed, unloaded) and by the joins. It outlives the mounts a reload replaces (`yparty dev`: one `MatchmakingState`
 * keeps it), since a session open across a rebuild stays its mount's while the rooms it lists come back as the next
 * mount's instances; each mount's `RoomDirectory` reads it with its code's room types. Process-local: with the cluster
 * it moves behind the registry.
 */
import type { RoomListing } from "./wire/index.js";

const NOBODY: ReadonlySet<string> = new Set();

export class RoomListings {
  readonly #byType = new Map<string, Map<string, RoomListing>>();
  /** Per room type, the live rooms neither listed nor matched (locked, private): known, so not "being created". */
  readonly #unlisted = new Map<string, Set<string>>();
  /** Per room type, per live room: the players seated (a player joining counts once, seated or promised: directory.ts). */
  readonly #seated = new Map<string, Map<string, ReadonlySet<string>>>();
  /** Per room type, per room, per player: seats promised to joins still on their way (a player's joins, counted). */
  readonly #promised = new Map<string, Map<string, Map<string, number>>>();
  /**
   * Per room type, the rooms not live known to hold nothing stored (a name an unnamed join made, an instance that
   * started empty): with seats promised, they are being created. Another room promised a seat may be a stored one
   * loading, private or locked perhaps: it is not shown until it lists itself. (Forgotten once the room is live or
   * stops.)
   */
  readonly #fresh = new Map<string, Set<string>>();

  /** A live room's listing and the players seated in it; `listed` false: it is known, but neither listed nor matched. */
  update(listing: RoomListing, seated: readonly string[], listed = true): void {
    const { room_type: roomType, room } = listing;
    this.#fresh.get(roomType)?.delete(room); // live: what it is, it says itself
    mapped(this.#seated, roomType, () => new Map()).set(room, new Set(seated));
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
    this.#seated.get(roomType)?.delete(room);
    this.#fresh.get(roomType)?.delete(room);
  }

  /** `room` holds nothing stored: a join creates it. */
  fresh(roomType: string, room: string): void {
    mapped(this.#fresh, roomType, () => new Set()).add(room);
  }

  /** Whether `room` is being created: not live, known to hold nothing stored, with seats promised. */
  beingCreated(roomType: string, room: string): boolean {
    return !this.has(roomType, room) && (this.#fresh.get(roomType)?.has(room) ?? false) && (this.#promised.get(roomType)?.has(room) ?? false);
  }

  /** The listed rooms of `roomType` (every type's when undefined), as stored: the caller copies what it hands out. */
  of(roomType?: string): Iterable<RoomListing> {
    return roomType === undefined ? [...this.#byType.values()].flatMap((rooms) => [...rooms.values()]) : (this.#byType.get(roomType)?.values() ?? []);
  }

  /** Whether `room` is live, listed or not (a room promised seats and not live is still being created). */
  has(roomType: string, room: string): boolean {
    return (this.#byType.get(roomType)?.has(room) ?? false) || (this.#unlisted.get(roomType)?.has(room) ?? false);
  }

  /** The players seated in live room `room` (none for a room not live). */
  seated(roomType: string, room: string): ReadonlySet<string> {
    return this.#seated.get(roomType)?.get(room) ?? NOBODY;
  }

  /** The rooms of `roomType` with seats promised, in the order they were first promised. */
  promisedRooms(roomType: string): Iterable<string> {
    return this.#promised.get(roomType)?.keys() ?? [];
  }

  /** The players whose joins on their way `room` promised a seat. */
  promisedTo(roomType: string, room: string): Iterable<string> {
    return this.#promised.get(roomType)?.get(room)?.keys() ?? [];
  }

  /** The room types with seats promised. */
  promisedTypes(): Iterable<string> {
    return this.#promised.keys();
  }

  promise(roomType: string, room: string, player: string): void {
    const players = mapped(
      mapped(this.#promised, roomType, () => new Map()),
      room,
      () => new Map<string, number>(),
    );
    players.set(player, (players.get(player) ?? 0) + 1);
  }

  release(roomType: string, room: string, player: string): void {
    const rooms = this.#promised.get(roomType);
    const players = rooms?.get(room);
    const joins = (players?.get(player) ?? 0) - 1;
    if (joins > 0) return void players!.set(player, joins);
    players?.delete(player);
    if (players?.size === 0) rooms!.delete(room);
    if (rooms?.size === 0) this.#promised.delete(roomType);
  }
}

/** `map`'s value at `key`, made by `make` the first time. */
function mapped<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}
