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

/**
 * `retryMs`: how long an index write Redis did not answer waits before it is sent again (the link's reconnect is
 * quicker). `question` asks the index's read (the leader's, once per tick: Leases.question, waited for at most the
 * lease's validity and refused unsent while Redis is silent; unbounded, a partition piled one up per tick).
 */
export function clusterAlarmRecords(
  storage: Storage,
  redis: RedisLink,
  retryMs: number,
  question: <T>(what: string, ask: () => Promise<T>) => Promise<T>,
): AlarmRecords {
  const store = (room: string) => storage.kv(alarmStoreName(room));
  const index = alarmIndex(redis, retryMs);
  return {
    get: (room) => store(room).get(RECORD_KEY),
    async put(room, record) {
      await store(room).put(RECORD_KEY, record);
      index.write(room, "SADD");
    },
    async delete(room) {
      const existed = await store(room).delete(RECORD_KEY);
      index.write(room, "SREM");
      return existed;
    },
    async list<T>() {
      const rooms = await question("the read of the alarm index", () => redis.send<string[]>(["SMEMBERS", INDEX_KEY]));
      const records = new Map<string, T>();
      for (const room of rooms) {
        const record = await store(room).get<T>(RECORD_KEY);
        if (record !== undefined) records.set(room, record);
      }
      return records;
    },
  };
}

/** A room's latest index write not answered yet. */
interface IndexWrite {
  command: "SADD" | "SREM";
  /** On the link now (not sent again meanwhile: a partition would pile copies up in it). */
  sending: boolean;
}

/**
 * The index's writes: sent, not waited for (a hint, and a Redis that does not answer, a partition, would hold the
 * room's setAlarm and whatever awaits it, a request, until it answers), in order on the one link. One Redis did not
 * answer (the link broke with it in it: a partition ended by a reset) is sent again until it is: a lost SADD left the
 * alarm out of the index, and once its owner died no leader woke it. A room's later write replaces its earlier one
 * (a SADD sent again after the room's SREM would list an alarm deleted; listed, it would only be skipped).
 */
function alarmIndex(redis: RedisLink, retryMs: number) {
  const unanswered = new Map<string, IndexWrite>();
  /** A later pass is due (one for all the writes that failed meanwhile). */
  let retrying = false;
  const send = (room: string, write: IndexWrite) => {
    write.sending = true;
    redis.send([write.command, INDEX_KEY, room]).then(
      () => {
        if (unanswered.get(room) === write) unanswered.delete(room);
      },
      () => {
        write.sending = false;
        if (unanswered.get(room) !== write) return;
        // The link closed for good (the node left): nothing to send it on.
        if (redis.closed) unanswered.delete(room);
        else if (!retrying) {
          retrying = true;
          setTimeout(sendAgain, retryMs).unref();
        }
      },
    );
  };
  const sendAgain = () => {
    retrying = false;
    for (const [room, write] of unanswered) if (!write.sending) send(room, write);
  };
  return {
    write(room: string, command: IndexWrite["command"]): void {
      const write: IndexWrite = { command, sending: false };
      unanswered.set(room, write);
      send(room, write);
    },
  };
}
