/**
 * `room.storage`: the Durable Object storage API over one room's KvStore, with alarms delegated to
 * the server's alarm scheduler (which stores them, so they survive a restart).
 */
import { type KvStore, type ListOptions, StorageError } from "../../persistence/types.js";
import { callUser, settleWithin } from "./guard.js";
import { checkCount, checkKey, checkKeyOfMany, singleValue, TransactionKeys, valuesOfMany } from "./storage-limits.js";
import type { Storage, StorageKeyValue, StorageListOptions, StorageTransaction } from "./party-types.js";

/** The room's alarm, as the scheduler keeps it. */
export interface RoomAlarm {
  get(): Promise<number | null>;
  set(time: number): Promise<void>;
  delete(): Promise<void>;
}

/**
 * The storage calls of one room instance: those still running, and whether it may call at all. Libraries write
 * without awaiting (y-partykit stores every update fire-and-forget), so a room waits for these before it unloads and
 * the storage closes; once it has stopped, its calls are refused (`ERR_ROOM_STOPPED`), as a Durable Object reset by a
 * deploy refuses its old instance's: code of the old instance still running (a request it awaited something for)
 * would otherwise write under the instance that took its place.
 */
export class PendingStorageOps {
  readonly #running = new Set<Promise<unknown>>();
  #stopped: string | undefined;

  /** Runs `call` unless the room stopped, tracking it until it settles. */
  run<T>(call: () => Promise<T>): Promise<T> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    const operation = call();
    this.#running.add(operation);
    const forget = () => void this.#running.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  /** The error a call gets once the room stopped (a transaction that began before checks it before it commits). */
  refusal(): StorageError | undefined {
    return this.#stopped === undefined ? undefined : new StorageError("ERR_ROOM_STOPPED", this.#stopped);
  }

  /** From now on, calls are refused with `message`. */
  stop(message: string): void {
    this.#stopped = message;
  }

  /** Resolves once no call has been running for one event-loop turn (chains of calls included), or after `ms`. */
  async settled(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      // Bounded too: a transaction whose closure awaits what never comes is a call that never settles.
      if (this.#running.size > 0) await settleWithin(Promise.allSettled([...this.#running]), Math.max(0, deadline - Date.now()));
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#running.size === 0 || Date.now() >= deadline) return;
    }
  }
}

/** Thrown inside the KvStore transaction to discard its writes after `txn.rollback()`. */
class RolledBack extends Error {}

/**
 * Storage calls that read: while one is in flight, the room's input gate holds other events (see InputGate). A
 * transaction's own reads hold it too, one by one, not its whole closure (which may await anything).
 */
const READS: ReadonlySet<keyof Storage> = new Set<keyof Storage>(["get", "list", "getAlarm"]);

/**
 * `limited` says, at each call, whether Durable Objects' limits apply (storage-limits.ts): the party's
 * `options.storageLimits`, read when called since the room's storage exists before its server.
 */
export function createRoomStorage(
  kv: KvStore,
  alarm: RoomAlarm,
  pending: PendingStorageOps,
  inputGate: (read: Promise<unknown>) => void,
  limited: () => boolean = () => true,
): Storage {
  const storage: Storage = {
    ...keyValue(kv, limited),
    deleteAll: () => kv.deleteAll(),
    transaction: (closure) => runTransaction(kv, alarm, closure, inputGate, pending, limited),
    getAlarm: () => alarm.get(),
    setAlarm: (time) => alarm.set(toTime(time)),
    deleteAlarm: () => alarm.delete(),
    // Every write already resolves only once the engine holds it.
    sync: async () => {},
  };
  for (const name of Object.keys(storage) as Array<keyof Storage>) {
    const call = storage[name] as (...args: unknown[]) => Promise<unknown>;
    const tracked = (...args: unknown[]) => pending.run(() => callUser(() => call(...args)));
    (storage as unknown as Record<string, unknown>)[name] = READS.has(name) ? holdingGate(inputGate, tracked) : tracked;
  }
  return storage;
}

/** `read`, with the input gate held while each call of it is in flight. */
function holdingGate<F extends (...args: never[]) => Promise<unknown>>(inputGate: (read: Promise<unknown>) => void, read: F): F {
  return ((...args: Parameters<F>) => {
    const operation = read(...args);
    inputGate(operation);
    return operation;
  }) as F;
}

async function runTransaction<T>(
  kv: KvStore,
  alarm: RoomAlarm,
  closure: (txn: StorageTransaction) => Promise<T>,
  inputGate: (read: Promise<unknown>) => void,
  pending: PendingStorageOps,
  limited: () => boolean,
): Promise<T> {
  let result: T | undefined;
  const alarmChange = new TransactionAlarm(alarm);
  try {
    result = await kv.transaction(async (inner) => {
      let rolledBack = false;
      const txn = wrapTransaction(inner, alarmChange, () => (rolledBack = true), inputGate, limited);
      result = await closure(txn);
      if (rolledBack) throw new RolledBack();
      // Its room stopped while the closure ran (past the stop's wait): nothing of it commits.
      const refused = pending.refusal();
      if (refused) throw refused;
      return result;
    });
  } catch (error) {
    if (error instanceof RolledBack) return result as T;
    throw error;
  }
  await alarmChange.commit();
  return result;
}

/**
 * A transaction's alarm calls (`txn.getAlarm/setAlarm/deleteAlarm`, as on a Durable Object transaction): a change is
 * held until the transaction commits, and goes with it when it rolls back or throws; `getAlarm` reads it meanwhile.
 */
class TransactionAlarm {
  /** The alarm time it set (null: deleted), or `undefined` when it changed nothing. */
  #changed: number | null | undefined;
  constructor(private readonly alarm: RoomAlarm) {}

  get = (): Promise<number | null> => (this.#changed === undefined ? this.alarm.get() : Promise.resolve(this.#changed));
  set = async (time: number | Date): Promise<void> => void (this.#changed = toTime(time));
  delete = async (): Promise<void> => void (this.#changed = null);

  commit(): Promise<void> {
    if (this.#changed === undefined) return Promise.resolve();
    return this.#changed === null ? this.alarm.delete() : this.alarm.set(this.#changed);
  }
}

function wrapTransaction(
  inner: KvStore,
  alarm: TransactionAlarm,
  rollback: () => void,
  inputGate: (read: Promise<unknown>) => void,
  limited: () => boolean,
): StorageTransaction {
  const calls = keyValue(inner, limited, new TransactionKeys());
  return {
    ...calls,
    get: holdingGate(inputGate, calls.get),
    list: holdingGate(inputGate, calls.list),
    delete: holdingGate(inputGate, calls.delete),
    getAlarm: holdingGate(inputGate, alarm.get),
    setAlarm: alarm.set,
    deleteAlarm: alarm.delete,
    rollback,
  };
}

/**
 * The Durable Object read/write calls over a KvStore (the options are cache hints it has no use for), refusing what
 * a Durable Object refuses while `limited()`; `written` counts a transaction's keys. A refusal is a rejection.
 */
function keyValue(kv: KvStore, limited: () => boolean, written?: TransactionKeys): StorageKeyValue {
  return {
    get: (async (keys: string | string[]) => {
      if (limited()) {
        if (Array.isArray(keys)) checkCount(keys.length, "keys");
        else checkKey(keys);
      }
      return kv.get(keys as string);
    }) as StorageKeyValue["get"],
    put: (async (keyOrEntries: string | Record<string, unknown>, value?: unknown) => {
      if (!limited()) return typeof keyOrEntries === "string" ? kv.put(keyOrEntries, value) : kv.put(keyOrEntries);
      if (typeof keyOrEntries === "string") {
        checkKey(keyOrEntries);
        return counted(written, [keyOrEntries], () => kv.put(keyOrEntries, value, singleValue));
      }
      const keys = keyOrEntries !== null && typeof keyOrEntries === "object" ? Object.keys(keyOrEntries) : [];
      checkCount(keys.length, "pairs");
      keys.forEach(checkKeyOfMany);
      return counted(written, keys, () => kv.put(keyOrEntries, valuesOfMany));
    }) as StorageKeyValue["put"],
    delete: (async (keys: string | string[]) => {
      if (!limited()) return kv.delete(keys as string);
      if (Array.isArray(keys)) {
        checkCount(keys.length, "keys");
        keys.forEach(checkKeyOfMany);
      } else checkKey(keys);
      return counted(written, Array.isArray(keys) ? keys : [keys], () => kv.delete(keys as string));
    }) as StorageKeyValue["delete"],
    list: (options) => kv.list(toListOptions(options)),
  };
}

/** A transaction's `write` of `keys`: refused once it wrote 128 keys, else counted once it went through. */
async function counted<T>(written: TransactionKeys | undefined, keys: readonly string[], write: () => Promise<T>): Promise<T> {
  written?.check();
  const result = await write();
  written?.note(keys);
  return result;
}

/** Drops the Durable Object cache hints the KvStore has no use for. */
function toListOptions(options: StorageListOptions = {}): ListOptions {
  const { start, startAfter, end, prefix, reverse, limit } = options;
  const out: ListOptions = {};
  if (start !== undefined) out.start = start;
  if (startAfter !== undefined) out.startAfter = startAfter;
  if (end !== undefined) out.end = end;
  if (prefix !== undefined) out.prefix = prefix;
  if (reverse !== undefined) out.reverse = reverse;
  if (limit !== undefined) out.limit = limit;
  return out;
}

function toTime(time: number | Date): number {
  const ms = time instanceof Date ? time.getTime() : time;
  if (!Number.isFinite(ms)) throw new TypeError(`setAlarm needs a finite time, got ${String(time)}`);
  return ms;
}
