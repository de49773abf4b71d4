/** The connections of one room: by id, by tag, and the legacy `room.connections` Map view. */
import type { RoomConnection } from "./connection.js";
import { RuntimeError } from "./errors.js";
import { MAX_CONNECTION_TAGS, MAX_TAG_LENGTH } from "./limits.js";
import type { Connection } from "./party-types.js";

export class ConnectionSet {
  readonly #byId = new Map<string, RoomConnection>();
  /** Made on first use: most rooms never ask for it, and it would hold a second entry per connection. */
  #legacyMap: Map<string, Connection> | undefined;

  /** What `room.connections` returns: a live Map the runtime keeps current (PartyKit's legacy API). */
  get legacyMap(): Map<string, Connection> {
    return (this.#legacyMap ??= new Map([...this.#byId].map(([id, connection]) => [id, connection.asParty()])));
  }

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): RoomConnection | undefined {
    return this.#byId.get(id);
  }

  /** Adds `connection`; returns the connection it replaces (same id), which the caller closes. */
  add(connection: RoomConnection): RoomConnection | undefined {
    const previous = this.#byId.get(connection.id);
    this.#byId.set(connection.id, connection);
    this.#legacyMap?.set(connection.id, connection.asParty());
    return previous;
  }

  /** Removes `connection` unless another connection has taken its id since. */
  delete(connection: RoomConnection): boolean {
    if (this.#byId.get(connection.id) !== connection) return false;
    this.#byId.delete(connection.id);
    this.#legacyMap?.delete(connection.id);
    return true;
  }

  *open(tag?: string): IterableIterator<RoomConnection> {
    for (const connection of this.#byId.values()) {
      if (connection.readyState !== connection.OPEN) continue;
      if (tag === undefined || connection.hasTag(tag)) yield connection;
    }
  }

  all(): RoomConnection[] {
    return [...this.#byId.values()];
  }

  /** Every connection, without a copy. */
  values(): IterableIterator<RoomConnection> {
    return this.#byId.values();
  }
}

/** PartyKit's tag rules; the connection id is always the first tag. Undefined: the id is its only tag. */
export function prepareTags(connectionId: string, userTags: unknown): string[] | undefined {
  if (!Array.isArray(userTags)) throw invalidTags("getConnectionTags must return an array of strings");
  if (userTags.length === 0) return undefined;
  const tags = [connectionId, ...userTags.filter((tag) => tag !== connectionId)];
  if (tags.length > MAX_CONNECTION_TAGS + 1) throw invalidTags(`A connection can only have ${MAX_CONNECTION_TAGS} tags`);
  for (const tag of tags) {
    if (typeof tag !== "string" || tag === "") throw invalidTags(`A connection tag must be a non-empty string, got ${String(tag)}`);
    if (tag.length > MAX_TAG_LENGTH) throw invalidTags(`A connection tag must not exceed ${MAX_TAG_LENGTH} characters`);
  }
  return tags;
}

function invalidTags(message: string): RuntimeError {
  return new RuntimeError("ERR_INVALID_TAGS", message);
}
