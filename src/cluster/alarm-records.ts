/**
 * Alarm records in a cluster. Each room's record lives in a store of its own, `__yparty:alarm/{party/room}`, claimed
 * with the room (placement.ts), so only the room's owner can write it: a node that lost the room cannot set, mark or
 * delete its alarm. The set of rooms with an alarm is indexed in Redis (`yparty:alarms`) for the leader, which wakes
 * rooms no node serves; the index is a hint — a Redis that restarted empty forgets it until each owner writes again,
 * and an alarm of a room loaded nowhere then fires when the room is next loaded (docs/cluster.md).
 */
import type { Storage } from "../../persistence/types.js";
import type { AlarmRecords } from "../runtime/alarms.js";
import type { Logger } from "../runtime/index.js";
import { SERVER_STORE_PREFIX } from "../runtime/index.js";
import type { FenceStore } from "./fence.js";
import { KEY_PREFIX, lua } from "./leases.js";
import type { RedisLink } from "./redis.js";

const INDEX_KEY = `${KEY_PREFIX}alarms`;
/** Per room, the fence of the latest index write that ran (an entry removed keeps its fence: what a late add meets). */
const FENCES_KEY = `${KEY_PREFIX}alarm-fences`;
const RECORD_KEY = "alarm";

/** The store holding one room's alarm record. "__yparty:" starts no party name. */
export const alarmStoreName = (room: string): string => `${SERVER_STORE_PREFIX}alarm/${room}`;

/**
 * A room's index write (SADD or SREM), run only if no write under a later fence of the room's alarm store ran before
 * it: each claim of the room bumps that fence, so a write sent by an earlier owner (held in a partition and delivered
 * at its end, or sent again after a reset) cannot undo what a later owner wrote. Writes of one fence (one owner's claim)
 * run in the order sent, on the one link. Returns -1 when it ran; refused, the later fence Redis remembers (whose it
 * is, a later owner's or one the database never gave, is for the database to say).
 */
const WRITE = lua(`
local last = redis.call("HGET", KEYS[2], ARGV[1])
if last and tonumber(last) > tonumber(ARGV[2]) then return tonumber(last) end
redis.call("HSET", KEYS[2], ARGV[1], ARGV[2])
redis.call(ARGV[3], KEYS[1], ARGV[1])
return -1`);

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
  logger: Logger,
): AlarmRecords {
  const store = (room: string) => storage.kv(alarmStoreName(room));
  // The fence this node's writes of the record carry (0 on a storage without fences: every write runs).
  const fences = storage as Storage & Partial<FenceStore>;
  const heldFence = async (room: string) => (await fences.heldFence?.(alarmStoreName(room))) ?? 0;
  const index = alarmIndex(redis, retryMs, async (room, write, remembered) => {
    // Every fence Redis remembers was given by a claim in the database, whose fence only goes up; one past it now was
    // never given (a database restored from a backup). The fence this node holds cannot tell: another node may have
    // claimed the room and written the index before this node learnt it lost the room (Redis restarted empty).
    const current = (await fences.fenceOf?.(alarmStoreName(room))) ?? 0;
    if (remembered > current) {
      logger.warn("cluster.alarm_index_fence_ahead", {
        code: "ERR_CLUSTER_REDIS",
        room,
        message: `Redis holds a later fence for ${room} in ${FENCES_KEY} (${remembered}) than PostgreSQL ever gave (${current}): was the database restored from a backup? The alarm is not indexed (it fires when the room is next loaded); delete ${FENCES_KEY} to have index writes run again`,
      });
    } else {
      logger.info("cluster.alarm_index_superseded", {
        room,
        message: `this node's ${write.command} of ${room} in the alarm index (fence ${write.fence}) reached Redis after a later owner's write, and was dropped`,
      });
    }
  });
  return {
    get: (room) => store(room).get(RECORD_KEY),
    async put(room, record) {
      // Read before the write: the fence it carries (a claim lost meanwhile refuses the write, and nothing is indexed).
      const fence = await heldFence(room);
      await store(room).put(RECORD_KEY, record);
      index.write(room, "SADD", fence);
    },
    async delete(room) {
      const fence = await heldFence(room);
      const existed = await store(room).delete(RECORD_KEY);
      index.write(room, "SREM", fence);
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
  /** The fence of the alarm store the record's write carried. */
  fence: number;
  /** On the link now (not sent again meanwhile: a partition would pile copies up in it). */
  sending: boolean;
}

/**
 * The index's writes: sent, not waited for (a hint, and a Redis that does not answer, a partition, would hold the
 * room's setAlarm and whatever awaits it, a request, until it answers), in order on the one link. One Redis did not
 * answer (the link broke with it in it: a partition ended by a reset) is sent again until it is: a lost SADD left the
 * alarm out of the index, and once its owner died no leader woke it. A room's later write replaces its earlier one
 * here; one sent late (after the room moved) runs only if no later owner wrote since (WRITE).
 */
function alarmIndex(redis: RedisLink, retryMs: number, superseded: (room: string, write: IndexWrite, remembered: number) => Promise<void>) {
  const unanswered = new Map<string, IndexWrite>();
  /** A later pass is due (one for all the writes that failed meanwhile). */
  let retrying = false;
  const send = (room: string, write: IndexWrite) => {
    write.sending = true;
    redis.evalScript<number>(WRITE, [INDEX_KEY, FENCES_KEY], [room, String(write.fence), write.command]).then(
      (refusedBy) => {
        if (unanswered.get(room) === write) unanswered.delete(room);
        if (refusedBy !== -1) void superseded(room, write, Number(refusedBy)).catch(() => {});
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
    write(room: string, command: IndexWrite["command"], fence: number): void {
      const write: IndexWrite = { command, fence, sending: false };
      unanswered.set(room, write);
      send(room, write);
    },
  };
}
