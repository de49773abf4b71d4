/**
 * Room alarms (`room.storage.setAlarm`). Each is stored in one server-wide KvStore, so alarms survive
 * a restart: `restore()` re-arms every stored alarm (an overdue one fires at once) and each fires
 * `onAlarm` once, after which its record is deleted unless the handler set a new one.
 */
import type { KvStore } from "../../persistence/types.js";
import { codeOf } from "./errors.js";
import type { Logger } from "./log.js";
import type { RoomAlarm } from "./room-storage.js";
import { storageName } from "./routing.js";

/** The KvStore holding every alarm. Room stores are named `party/room`; this name has no "/", so never collides. */
export const ALARMS_KV_NAME = "__yparty:alarms";

interface AlarmRecord {
  party: string;
  roomId: string;
  time: number;
}

/** Runs the room's `onAlarm` (loading the room first). */
export type FireAlarm = (party: string, roomId: string) => Promise<void>;

// setTimeout cannot wait longer than 2^31-1 ms; longer alarms re-arm in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class AlarmScheduler {
  readonly #timers = new Map<string, { time: number; timer: NodeJS.Timeout }>();
  readonly #firing = new Set<Promise<void>>();
  #stopped = false;

  constructor(
    private readonly kv: KvStore,
    private readonly fire: FireAlarm,
    private readonly logger: Logger,
  ) {}

  forRoom(party: string, roomId: string): RoomAlarm {
    const key = storageName(party, roomId);
    return {
      get: async () => (await this.kv.get<AlarmRecord>(key))?.time ?? null,
      set: async (time) => {
        await this.kv.put<AlarmRecord>(key, { party, roomId, time });
        this.#arm(key, { party, roomId, time });
      },
      delete: async () => {
        this.#disarm(key);
        await this.kv.delete(key);
      },
    };
  }

  /** True while the room has an alarm armed in this process. */
  isPending(party: string, roomId: string): boolean {
    return this.#timers.has(storageName(party, roomId));
  }

  /** Arms every stored alarm; returns how many. */
  async restore(): Promise<number> {
    const records = await this.kv.list<AlarmRecord>();
    for (const [key, record] of records) this.#arm(key, record);
    return records.size;
  }

  /** Disarms every timer and waits for alarms already firing. Stored alarms stay for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const key of [...this.#timers.keys()]) this.#disarm(key);
    await Promise.allSettled([...this.#firing]);
  }

  #arm(key: string, record: AlarmRecord): void {
    if (this.#stopped) return;
    this.#disarm(key);
    const delay = Math.max(0, record.time - Date.now());
    const timer = setTimeout(
      () => (delay > MAX_TIMER_MS ? this.#arm(key, record) : this.#track(this.#fire(key, record))),
      Math.min(delay, MAX_TIMER_MS),
    );
    timer.unref();
    this.#timers.set(key, { time: record.time, timer });
  }

  #disarm(key: string): void {
    const entry = this.#timers.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.#timers.delete(key);
  }

  #track(firing: Promise<void>): void {
    this.#firing.add(firing);
    void firing.finally(() => this.#firing.delete(firing));
  }

  /**
   * The record is cleared before `onAlarm` runs (as on Durable Objects, `getAlarm()` is null inside the
   * handler, and an alarm it sets is kept). A throwing handler is logged by the room and not retried.
   */
  async #fire(key: string, record: AlarmRecord): Promise<void> {
    this.#timers.delete(key);
    try {
      const stored = await this.kv.get<AlarmRecord>(key);
      if (stored?.time !== record.time) return;
      await this.kv.delete(key);
    } catch (error) {
      this.logger.error("alarm.clear_failed", { code: codeOf(error, "ERR_STORAGE_WRITE"), party: record.party, room: record.roomId, error });
      return;
    }
    try {
      await this.fire(record.party, record.roomId);
    } catch (error) {
      // The room logged the hook failure with its code; the alarm is spent (no retry storm).
      this.logger.debug("alarm.failed", { party: record.party, room: record.roomId, error });
    }
  }
}
