/** The `Party.Room` object user code receives, over one live room's parts. */
import { createHash } from "node:crypto";
import type { Storage as BackingStorage } from "../../persistence/types.js";
import type { ConnectionSet } from "./connections.js";
import type { Logger } from "./log.js";
import { sendingToMany } from "./direct-frame.js";
import { registerDocumentStorage, registerRoomStorage, type Durability } from "./document-storage.js";
import type { Limits } from "./limits.js";
import type { Context, Room } from "./party-types.js";
import { createRoomStorage, type PendingStorageOps, type RoomAlarm } from "./room-storage.js";
import { storageName } from "./room-names.js";

export interface PartyRoomParts {
  party: string;
  roomId: string;
  env: Record<string, unknown>;
  storage: BackingStorage;
  alarm: RoomAlarm;
  context: Context;
  connections: ConnectionSet;
  storageOps: PendingStorageOps;
  /** Whether `room.storage` holds to Durable Objects' limits now (the server's `options.storageLimits`). */
  storageLimits(): boolean;
  /** Holds the room's events while a storage read is in flight. */
  inputGate(read: Promise<unknown>): void;
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
  logger: Logger;
  limits: Limits;
  /** See `DocumentStorage.durability`. */
  durability: Durability;
  /** See `DocumentStorage.documentLimits`. */
  documentLimits: Readonly<Record<string, number>>;
  /** See `DocumentStorage.unloadWhenIdle`. */
  unloadWhenIdle(): void;
  /** See `DocumentStorage.whenStopping`. */
  whenStopping(hook: () => unknown): void;
  /** See `DocumentStorage.serverStopping`. */
  serverStopping: AbortSignal;
}

export function createPartyRoom(parts: PartyRoomParts): Room {
  const { party, roomId, env, storage, alarm, context, connections, storageOps } = parts;
  const name = storageName(party, roomId);
  let internalID: string | undefined;
  let roomStorage: Room["storage"] | undefined;
  const room: Room = {
    id: roomId,
    // Stable across restarts (Durable Objects give a hex id; nothing should depend on its form). Made when first read.
    get internalID() {
      return (internalID ??= createHash("sha256").update(name).digest("hex"));
    },
    name: party,
    env,
    // Made on first use: a Yjs room never uses it (its document has a store of its own), and it is some thirty closures
    // over a KvStore the engine keeps for the room, made for every room's start.
    get storage() {
      if (roomStorage === undefined) {
        roomStorage = createRoomStorage(storage.kv(name), alarm, storageOps, parts.inputGate, parts.storageLimits);
        registerRoomStorage(roomStorage, room);
      }
      return roomStorage;
    },
    blockConcurrencyWhile: (fn) => parts.blockConcurrencyWhile(fn),
    context,
    get connections() {
      return connections.legacyMap;
    },
    parties: context.parties,
    broadcast: (message, without) => {
      sendingToMany(message, () => {
        for (const connection of connections.open()) if (!without?.includes(connection.id)) connection.send(message);
      });
    },
    getConnection: <T>(id: string) => connections.get(id)?.asParty<T>(),
    getConnections: <T>(tag?: string) => [...connections.open(tag)].map((c) => c.asParty<T>()),
    analytics: { writeDataPoint: () => {} },
  };
  registerDocumentStorage(room, {
    store: storage.docs,
    name,
    logger: parts.logger,
    maxDocumentBytes: parts.limits.maxDocumentBytes,
    idleUnloadMs: parts.limits.idleUnloadMs,
    shutdownTimeoutMs: parts.limits.shutdownTimeoutMs,
    durability: parts.durability,
    documentLimits: parts.documentLimits,
    unloadWhenIdle: parts.unloadWhenIdle,
    whenStopping: parts.whenStopping,
    serverStopping: parts.serverStopping,
  });
  return room;
}
