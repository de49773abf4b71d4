/**
 * How a room is named outside the router, in one place: its name in storage (the DocStore document and the
 * KvStore of `room.storage`), and the URL path that addresses it. Parties are names from the config and never
 * hold "/"; a room id may, so a stored name splits at its first "/".
 */

export interface RoomRef {
  party: string;
  roomId: string;
}

/** The name of a room's KvStore and of its Yjs document in the DocStore: `${party}/${roomId}`. */
export function storageName(party: string, roomId: string): string {
  return `${party}/${roomId}`;
}

/** The start of the names of the server's own stores (`__yparty:alarms`, a cluster's `__yparty:alarm/{room}`). */
export const SERVER_STORE_PREFIX = "__yparty:";

/** A stored name back into its room; undefined for names no room makes (the server's own stores). */
export function parseStorageName(name: string): RoomRef | undefined {
  if (name.startsWith(SERVER_STORE_PREFIX)) return undefined;
  const slash = name.indexOf("/");
  if (slash <= 0 || slash === name.length - 1) return undefined;
  return { party: name.slice(0, slash), roomId: name.slice(slash + 1) };
}

/** `/parties/{party}/{room}`, each part escaped once (the router decodes each once). */
export function roomPath(party: string, roomId: string): string {
  return `/parties/${encodeURIComponent(party)}/${encodeURIComponent(roomId)}`;
}
