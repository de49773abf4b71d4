/**
 * A room's one storage alarm, shared by its room type (`this.partyRoom.storage.setAlarm`: the game's votes) and the
 * rooms layer, which needs the room back after it stopped with seats kept, so that they expire even if nobody joins
 * it again. The storage's alarm is the earlier of the two. While the layer's is armed, both times are stored under
 * `ALARM_KEY`, so that after a restart a firing alarm is known for whose it is; otherwise the alarm is the type's
 * alone and nothing more is stored (rooms stored before the alarm was shared read the same way).
 */
import type { Storage } from "../runtime/index.js";

export const ALARM_KEY = "yparty.rooms.alarm";

interface StoredAlarms {
  type: number | null;
  layer: number;
}

export class RoomAlarm {
  /** The room type's alarm; `undefined`: not known here (whatever fires is the type's). */
  #typeAt: number | null | undefined;
  /** The rooms layer's, or null. */
  #layerAt: number | null = null;
  /** `ALARM_KEY` is in the storage. */
  #stored = false;
  /** The last write, which the next waits for. */
  #writes: Promise<void> = Promise.resolve();
  /** The storage the room type is given: its alarm methods are the type's share. */
  readonly typeStorage: Storage;

  constructor(private readonly storage: Storage) {
    this.typeStorage = {
      ...storage,
      getAlarm: async () => (this.#typeAt === undefined ? this.storage.getAlarm() : this.#typeAt),
      setAlarm: (time) => this.#setType(typeof time === "number" ? time : time.getTime()),
      deleteAlarm: () => this.#setType(null),
    };
  }

  /** Whether the layer's alarm is armed. */
  get layerArmed(): boolean {
    return this.#layerAt !== null;
  }

  /** What `read(ALARM_KEY)` found when the room started. */
  restore(stored: unknown): void {
    if (!isStoredAlarms(stored)) return;
    this.#typeAt = stored.type;
    this.#layerAt = stored.layer;
    this.#stored = true;
  }

  /** Arms the layer's alarm at `at` (or clears it: null), keeping the type's. */
  async setLayer(at: number | null): Promise<void> {
    if (this.#typeAt === undefined) this.#typeAt = await this.storage.getAlarm();
    this.#layerAt = at;
    await this.#write();
  }

  /**
   * The storage's alarm fired: whether it was the type's (then its `onAlarm` runs). The part due is cleared, and the
   * alarm armed again for the part that is not.
   */
  fired(now: number): { typeDue: boolean; written: Promise<void> } {
    const typeAt = this.#typeAt;
    const typeDue = typeAt === undefined || (typeAt !== null && typeAt <= now);
    if (typeDue) this.#typeAt = null;
    if (this.#layerAt !== null && this.#layerAt <= now) this.#layerAt = null;
    // Nothing left to arm: the runtime deletes the fired alarm once the handler is done (and fires it again after a
    // crash meanwhile), unless the type sets another.
    const left = this.#layerAt !== null || (this.#typeAt ?? null) !== null;
    return { typeDue, written: left || this.#stored ? this.#write() : Promise.resolve() };
  }

  /**
   * The type's `onAlarm` threw: unless the hook armed another, the type's alarm is the storage's again (not known
   * here), so that the runtime's retry of the firing (its backoff, its retries counted) runs it again instead of
   * finding nothing of the type's due, and `getAlarm` reads that retry. Nothing is written: the retry is armed already.
   */
  typeFailed(): void {
    if (this.#typeAt === null) this.#typeAt = undefined;
  }

  /**
   * The room is discarded: no alarm of either is left, nor `ALARM_KEY`. Written after the writes before it, as every
   * write is: one still on its way (the alarm that brought the room back arming the type's next) would otherwise arm
   * the alarm again after this deleted it, and the empty room would come back for it.
   */
  forget(): Promise<void> {
    this.#typeAt = null;
    this.#layerAt = null;
    this.#stored = true; // whatever a write before this stored, the key goes
    return this.#write();
  }

  #setType(at: number | null): Promise<void> {
    this.#typeAt = at;
    return this.#write();
  }

  /** Writes one at a time, each what the times are when it runs: two interleaved could arm what the first saw. */
  #write(): Promise<void> {
    const write = this.#writes.then(() => this.#writeNow());
    this.#writes = write.catch(() => {});
    return write;
  }

  /** Stores both times while the layer's is armed (its key deleted once not), and arms the earlier. */
  async #writeNow(): Promise<void> {
    const layer = this.#layerAt;
    const type = this.#typeAt ?? null;
    if (layer !== null || this.#stored) {
      this.#stored = layer !== null;
      await (layer !== null ? this.storage.put<StoredAlarms>(ALARM_KEY, { type, layer }) : this.storage.delete(ALARM_KEY));
    }
    const at = layer === null ? type : type === null ? layer : Math.min(type, layer);
    await (at === null ? this.storage.deleteAlarm() : this.storage.setAlarm(at));
  }
}

function isStoredAlarms(value: unknown): value is StoredAlarms {
  const record = value as StoredAlarms | undefined;
  return typeof record === "object" && record !== null && typeof record.layer === "number" && (record.type === null || typeof record.type === "number");
}
