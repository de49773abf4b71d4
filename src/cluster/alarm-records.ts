/**
 * Alarm records in a cluster. Each room's record lives in a store of its own, `__yparty:alarm/{party/room}`, claimed
 * with the room (placement.ts), so only the room's owner can write it: a node that lost the room cannot set, mark or
 * delete its alarm. The set of rooms with an alarm is indexed in Redis (`yparty:alarms`) for the leader, which wakes
 * rooms no node serves; the index is a hint — a Redis that restarted empty forgets it until each owner writes again,
 * and an alarm of a room loaded nowhere then fires when the room is next loaded (docs/cluster.md).
 */
import type { Storage } from "../../persistence/types.js";
import type { AlarmRecords } from "../runtime/alarms.js";
import { SERVER_STORE_PREFIX } from "../runtime/index.js";
import { KEY_PREFIX } from "./leases.js";
import type { RedisLink } from "./redis.js";

const INDEX_KEY = `${KEY_PREFIX}alarms`;
const RECORD_KEY = "alarm";

/** The store holding one room's alarm record. "__yparty:" starts no party name. */
export const alarmStoreName = (room: string): string => `${SERVER_STORE_PREFIX}alarm/${room}`;

export function clusterAlarmRecords(storage: Storage, redis: RedisLink): AlarmRecords {
  const store = (room: string) => storage.kv(alarmStoreName(room));
  // Sent, not waited for: the index is a hint, and a Redis that does not answer (a partition) would hold the room's
  // setAlarm, and whatever awaits it (a request), until it answers. Sent in order on the one link all the same.
  const index = (command: "SADD" | "SREM", room: string) => void redis.send([command, INDEX_KEY, room]).catch(() => undefined);
  return {
    get: (room) => store(room).get(RECORD_KEY),
    async put(room, record) {
      await store(room).put(RECORD_KEY, record);
      index("SADD", room);
    },
    async delete(room) {
      const existed = await store(room).delete(RECORD_KEY);
      index("SREM", room);
      return existed;
    },
    async list<T>() {
      const rooms = await redis.send<string[]>(["SMEMBERS", INDEX_KEY]);
      const records = new Map<string, T>();
      for (const room of rooms) {
        const record = await store(room).get<T>(RECORD_KEY);
        if (record !== undefined) records.set(room, record);
      }
      return records;
    },
  };
}
