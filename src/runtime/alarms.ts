/**
 * Room alarms (`room.storage.setAlarm`), with Durable Objects' guarantees. Each is stored in one server-wide
 * KvStore, so alarms survive a restart: `restore()` re-arms every stored alarm (an overdue one fires at once).
 * Delivery is at least once: the record stays, marked running, while `onAlarm` runs, so a crash meanwhile fires
 * it again on the next start; it is deleted once the handler returns, unless the handler set a new one. A throwing
 * handler is retried with exponential backoff (`limits.alarmRetryBaseMs` doubling, `limits.alarmRetries` times).
 */
import { randomUUID } from "node:crypto";
import { InFlight } from "../../persistence/in-flight.js";
import { codeOf, failureOfTheMoment } from "./errors.js";
import type { Logger } from "./log.js";
import type { RoomAlarm } from "./room-storage.js";
import { SERVER_STORE_PREFIX, storageName } from "./room-names.js";
import { runAt, type TimerAt } from "./timers.js";

/** The KvStore holding every alarm. Room stores are named `party/room`; this name has no "/", so never collides. */
export const ALARMS_KV_NAME = `${SERVER_STORE_PREFIX}alarms`;

interface AlarmRecord {
  party: string;
  roomId: string;
  time: number;
  /** Tells two alarms set for the same time apart (absent in records of older versions). */
  id?: string;
  /** Set while `onAlarm` runs: `getAlarm()` reads it as no alarm, and a restart fires it again. */
  running?: true;
  /** Retries made so far after the handler threw. */
  retries?: number;
}

export interface AlarmRetryPolicy {
  retries: number;
  baseMs: number;
}

/** The longest wait between tries of an alarm deferred: for a reason of the moment (`#putBack`), or its start or end refused. */
const MAX_DEFER_MS = 60_000;

/** The same alarm at the same stage: the handler did not set or delete one meanwhile. */
const isSameAlarm = (stored: AlarmRecord | undefined, record: AlarmRecord): boolean =>
  stored !== undefined &&
  stored.id === record.id &&
  stored.time === record.time &&
  stored.running === record.running &&
  (stored.retries ?? 0) === (record.retries ?? 0);

/**
 * Runs the room's `onAlarm` (loading the room first), if `stillDue()` says so once the room is there: the alarm may have
 * been deleted while the room was held (a delete of the room's data).
 */
export type FireAlarm = (party: string, roomId: string, stillDue: () => boolean) => Promise<void>;

/**
 * Where the records live, keyed by the room's storage name: one KvStore on one node; in a cluster, each room's own
 * store (written under the room's fence) with an index to list them (`RoomPlacement.alarmRecords`).
 */
export interface AlarmRecords {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  list<T>(): Promise<Map<string, T>>;
}

/** Cluster: whether this node serves the room (claiming it if no node does); an alarm of a room served elsewhere is its owner's. */
export type MayFire = (party: string, roomId: string) => Promise<boolean>;

export class AlarmScheduler {
  /** Per room, the alarm armed in this process and its timer. */
  readonly #timers = new Map<string, { record: AlarmRecord; timer: TimerAt }>();
  /**
   * Per room, the alarm whose timer fired and whose firing has not settled yet (its claim, its onAlarm): no longer armed,
   * but not to be armed again by a wake (`restore`, `restoreRoom`): the firing arms it itself if it must run again.
   */
  readonly #inHand = new Map<string, AlarmRecord>();
  readonly #firing = new InFlight();
  #stopped = false;
  /** Per room, the read-then-write steps on its record, one after another (kv.get does not wait for queued writes). */
  readonly #steps = new Map<string, Promise<unknown>>();
  /** Per room, the alarm handler running (or waiting to run), so the next waits for it. */
  readonly #handlers = new Map<string, Promise<unknown>>();
  /** Per room with a firing under way, how many times its alarm was deleted since: it does not run after a delete. */
  readonly #deletes = new Map<string, number>();
  /**
   * Per room, the alarm deferred (`#putBack`) and how many times in a row: each waits twice as long as the last, up to
   * `MAX_DEFER_MS`. The count is that alarm's: another one (set in its place, or after a delete) starts from none.
   */
  readonly #deferrals = new Map<string, { record: AlarmRecord; inARow: number }>();

  #serial<T>(key: string, step: () => Promise<T>): Promise<T> {
    return chainOn(this.#steps, key, step);
  }

  constructor(
    private readonly kv: AlarmRecords,
    private readonly fire: FireAlarm,
    private readonly logger: Logger,
    private readonly retry: AlarmRetryPolicy,
    private readonly mayFire?: MayFire,
  ) {}

  forRoom(party: string, roomId: string): RoomAlarm {
    const key = storageName(party, roomId);
    return {
      // In order with `set` and `delete`, so a `setAlarm` not awaited is seen by the next `getAlarm`.
      get: () =>
        this.#serial(key, async () => {
          const record = await this.kv.get<AlarmRecord>(key);
          return record && !record.running ? record.time : null;
        }),
      set: (time) =>
        this.#serial(key, async () => {
          const record: AlarmRecord = { party, roomId, time, id: randomUUID() };
          await this.kv.put<AlarmRecord>(key, record);
          this.#deferrals.delete(key);
          this.#arm(key, record);
        }),
      delete: () => {
        if (this.#handlers.has(key)) this.#deletes.set(key, (this.#deletes.get(key) ?? 0) + 1); // a firing under way
        return this.#serial(key, async () => {
          this.#disarm(key);
          await this.kv.delete(key);
          this.#deferrals.delete(key);
        });
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
    // One armed already stays as it is: a deferred alarm's backoff (armed later than its time, long past) holds, however
    // often a cluster's leader wakes the stored alarms (once per lease TTL).
    for (const [key, record] of records) if (!isSameAlarm(this.#timers.get(key)?.record, record) && !this.#isInHand(key, record)) this.#arm(key, record);
    return records.size;
  }

  /** Arms the stored alarm of one room (a room this node has just claimed, in a cluster). */
  async restoreRoom(party: string, roomId: string): Promise<void> {
    const key = storageName(party, roomId);
    const record = await this.#serial(key, () => this.kv.get<AlarmRecord>(key));
    if (record && !this.#timers.has(key) && !this.#isInHand(key, record)) this.#arm(key, record);
  }

  /**
   * Whether `stored` is the alarm in hand (its running form too, stored while its onAlarm runs). Armed again, it was tried
   * at its stored time, long past, once its try was deferred: the backoff undone by a wake landing during a try.
   */
  #isInHand(key: string, stored: AlarmRecord): boolean {
    const inHand = this.#inHand.get(key);
    return inHand !== undefined && (isSameAlarm(inHand, stored) || isSameAlarm({ ...inHand, running: true }, stored));
  }

  /** Disarms every timer and waits for alarms already firing. Stored alarms stay for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const key of [...this.#timers.keys()]) this.#disarm(key);
    await this.#firing.drain();
  }

  /** Fires `record` at `at` (its own time, or later when storage failed and it is tried again). */
  #arm(key: string, record: AlarmRecord, at = record.time): void {
    if (this.#stopped) return;
    this.#disarm(key);
    const timer = runAt(at, () => {
      if (this.#timers.get(key)?.timer === timer) this.#timers.delete(key);
      this.#inHand.set(key, record);
      void this.#firing.track(this.#fireAfterRunning(key, record));
    });
    this.#timers.set(key, { record, timer });
  }

  #disarm(key: string): void {
    this.#timers.get(key)?.timer.cancel();
    this.#timers.delete(key);
  }

  /** One `onAlarm` at a time per room, as on Durable Objects: an alarm due while the last one runs waits for it. */
  #fireAfterRunning(key: string, record: AlarmRecord): Promise<void> {
    if (this.#handlers.has(key)) this.logger.debug("alarm.queued", { party: record.party, room: record.roomId });
    return chainOn(this.#handlers, key, () => this.#fire(key, record));
  }

  /** Runs `onAlarm` with the record marked running, then deletes it, retries it, or leaves what the handler set. */
  async #fire(key: string, record: AlarmRecord): Promise<void> {
    try {
      await this.#fireOnce(key, record);
    } finally {
      this.#deletes.delete(key); // counted for this firing only (firings of a room run one after another)
      if (this.#inHand.get(key) === record) this.#inHand.delete(key);
    }
  }

  async #fireOnce(key: string, record: AlarmRecord): Promise<void> {
    const { party, roomId } = record;
    const running: AlarmRecord = { ...record, running: true };
    const deletes = this.#deletes.get(key); // before any await: a delete from here on cancels this firing
    try {
      // Served by another node: its owner fires it (the record is left as it is), its deferrals counted there.
      if (this.mayFire && !(await this.mayFire(party, roomId))) return void this.#deferrals.delete(key);
      const started = await this.#serial(key, async () => {
        // Still this alarm (one a crash cut off is restored already running): anything else replaced it.
        if (!isSameAlarm(await this.kv.get<AlarmRecord>(key), record)) return false;
        await this.kv.put<AlarmRecord>(key, running);
        return true;
      });
      if (!started) return;
    } catch (error) {
      // Stored as it was: try again later rather than leave it stuck until the next start. Tries in a row back off, not
      // one every baseMs for as long as the fault lasts (a full disk, a damaged table: an error every 2 s per alarm,
      // forever). A failure of the moment (the room's claim refused while Redis or PostgreSQL is out of reach) is a
      // warning: it pages no one for a partition.
      const level = failureOfTheMoment(error) !== undefined ? "warn" : "error";
      const at = this.#deferUnlessArmed(key, record);
      this.logger[level]("alarm.start_failed", { code: codeOf(error, "ERR_STORAGE_WRITE"), party, room: roomId, ...nextTry(at), error });
      return;
    }
    let failure: unknown;
    try {
      await this.fire(party, roomId, () => this.#deletes.get(key) === deletes);
    } catch (error) {
      // The server closes meanwhile (the firing cut off, or never reaching its room): left marked running, fired again
      // at the next start as one a crash cut off is — not settled against storage that is closing, nor backed off.
      if (this.#stopped) return;
      failure = error ?? new Error("onAlarm threw"); // the room logged it with its code
    }
    try {
      await this.#serial(key, async () => {
        // An alarm the handler set (or its deleteAlarm) wins over this one.
        if (!isSameAlarm(await this.kv.get<AlarmRecord>(key), running)) return;
        // Its deferrals are forgotten once it settled: a settle refused is one more in a row (below).
        if (failure === undefined) {
          await this.kv.delete(key);
          return void this.#deferrals.delete(key);
        }
        // No fault of the handler (this node lost the room, or no node can serve it now): not counted as a retry.
        const moment = failureOfTheMoment(failure);
        if (moment) return void (await this.#putBack(key, record, moment.message));
        await this.#retryLater(key, record);
        this.#deferrals.delete(key);
      });
    } catch (error) {
      if (isRoomMoved(error)) {
        // This node may no longer write the room's alarm (a cluster: another node claimed the room, or this one lost
        // it): the record stays as it was stored, and the room's owner runs it, its retries as they were.
        this.#deferrals.delete(key);
        this.logger.info("alarm.left_to_owner", { party, room: roomId, message: "this node lost the room while its alarm ran; the room's owner runs it" });
        return;
      }
      // Left marked running: fire it again later (at least once), as a restart would; tries in a row back off, as above.
      const at = this.#deferUnlessArmed(key, running);
      this.logger.error("alarm.settle_failed", { code: codeOf(error, "ERR_STORAGE_WRITE"), party, room: roomId, ...nextTry(at), error });
    }
  }

  /**
   * `onAlarm` failed for a reason of the moment, not of its code: the alarm is stored as it was before it fired, its
   * retries unused (on Durable Objects, only a throw of the handler counts), and fired again after `baseMs`, doubled
   * with each deferral in a row up to `MAX_DEFER_MS` (an outage of an hour is some 60 tries and warnings an alarm, not
   * 1,800) — by this node if it still serves the room, else by the room's owner (mayFire).
   */
  async #putBack(key: string, fired: AlarmRecord, why: string): Promise<void> {
    // Not marked running, also when it was restored so (a crash cut its last firing off): `getAlarm` shows a waiting
    // alarm, which a running one hides.
    const { running: _, ...record } = fired;
    await this.kv.put<AlarmRecord>(key, record);
    const at = this.#deferredUntil(key, record);
    this.#arm(key, record, at);
    this.logger.warn("alarm.deferred", {
      code: "ERR_ROOM_UNAVAILABLE",
      party: record.party,
      room: record.roomId,
      ...nextTry(at),
      message: `onAlarm failed for a reason of the moment, not of its code (${why}); not counted as a retry: it runs again at ${new Date(at).toISOString()}`,
    });
  }

  /** Arms `record` again after its backoff, unless an alarm was armed meanwhile (one the handler set): when, if so. */
  #deferUnlessArmed(key: string, record: AlarmRecord): number | undefined {
    if (this.#timers.has(key)) return undefined;
    const at = this.#deferredUntil(key, record);
    this.#arm(key, record, at);
    return at;
  }

  /**
   * When `record`, deferred once more (it could not start or settle, or its `onAlarm` failed for a reason of the
   * moment), is tried again: after `baseMs`, doubled with each deferral in a row, up to `MAX_DEFER_MS`.
   */
  #deferredUntil(key: string, record: AlarmRecord): number {
    const last = this.#deferrals.get(key);
    // Another alarm's count (one this node deferred, then the room's owner replaced: a cluster) is not this one's.
    const inARow = last && isSameAlarm(last.record, record) ? last.inARow : 0;
    this.#deferrals.set(key, { record, inARow: inARow + 1 });
    return Date.now() + Math.min(this.retry.baseMs * 2 ** inARow, Math.max(this.retry.baseMs, MAX_DEFER_MS));
  }

  async #retryLater(key: string, record: AlarmRecord): Promise<void> {
    const { party, roomId } = record;
    const retries = (record.retries ?? 0) + 1;
    if (retries > this.retry.retries) {
      this.logger.error("alarm.gave_up", {
        code: "ERR_ALARM_FAILED",
        party,
        room: roomId,
        message: `onAlarm threw ${retries} times in a row; the alarm is dropped`,
      });
      await this.kv.delete(key);
      return;
    }
    const next: AlarmRecord = { party, roomId, time: Date.now() + this.retry.baseMs * 2 ** (retries - 1), retries };
    await this.kv.put<AlarmRecord>(key, next);
    this.#arm(key, next);
    this.logger.warn("alarm.retry_scheduled", { code: "ERR_ALARM_FAILED", party, room: roomId, retry: retries, at: new Date(next.time).toISOString() });
  }
}

/** A log entry's `at`: when a deferred alarm is tried next (nothing when another alarm was armed in its place). */
const nextTry = (at: number | undefined): { at?: string } => (at === undefined ? {} : { at: new Date(at).toISOString() });

/** Runs `step` once the last one chained on `key` has settled (either way); the map forgets a key with nothing left. */
function chainOn<T>(chains: Map<string, Promise<unknown>>, key: string, step: () => Promise<T>): Promise<T> {
  const run = (chains.get(key) ?? Promise.resolve()).then(step);
  const tail = run.then(ignore, ignore);
  chains.set(key, tail);
  void tail.then(() => chains.get(key) === tail && chains.delete(key));
  return run;
}

const ignore = (): void => {};

/** A write refused because this node may not write the room (a cluster: another owner claimed it, or this one lost it). */
const isRoomMoved = (error: unknown): boolean => codeOf(error, "") === "ERR_FENCED";
