/**
 * The cluster's record of cron ticks: per cron, the scheduled time of the last tick a leader claimed, in the leader's
 * own store in PostgreSQL (named as the leader lease, `__yparty:crons`: no party has it), fenced as a room's store is:
 * every node that takes the leader lease claims the store's fence (placement.ts), and a write under an older fence is
 * refused (ERR_FENCED). A tick runs only once its claim committed, so two nodes that both believe they lead (Redis lost
 * the lease key, a leader resumed from a freeze) cannot both run one scheduled time: the newer leader's fence claim
 * comes either after the older leader's claim of the tick committed (it reads the record and skips the tick) or before
 * (the older leader's write is refused). Redis holds none of it: a Redis that restarted empty loses no record.
 */
import { createHash } from "node:crypto";
import { StorageError, type Storage } from "../../persistence/types.js";
import type { FenceStore } from "./fence.js";

/**
 * Names up to this many code units are keys as they are (`last/{name}`, readable by operators, and the key every name
 * had before). A key is in `room_kv`'s primary key (UTF-16, 2 bytes a code unit), whose entries PostgreSQL refuses past
 * 2,704 bytes: a longer name (~1,340 code units that do not compress) failed every claim, so its cron never ran in a
 * cluster. PartyKit takes any string as a cron's name.
 */
const READABLE_NAME_UNITS = 1_300;

/**
 * The record's key of `cron`: the name itself when short, else its SHA-256 (of its UTF-16 code units: UTF-8 would
 * turn lone surrogates into U+FFFD, and two names into one) followed by its start. The prefixes differ, so no name's
 * key is another's digest key.
 */
export function recordKey(cron: string): string {
  if (cron.length <= READABLE_NAME_UNITS) return `last/${cron}`;
  const digest = createHash("sha256").update(Buffer.from(cron, "utf16le")).digest("hex");
  return `sha256/${digest}/${cron.slice(0, 64)}`;
}

export class CronTicks {
  /**
   * Per record key, the last tick this node claimed and the fence it claimed it under. Only the holder of the store's
   * fence writes the record, so while this node's fence is the same, the record is what it wrote last: a tick then
   * costs its write alone, not a read first (one round trip, not two). Another fence (this node led again, or restarted)
   * reads it again.
   */
  readonly #claimed = new Map<string, { fence: number; last: number }>();

  constructor(
    private readonly storage: () => Storage & FenceStore,
    /** The store's name, whose fence the leader claims with its lease. */
    private readonly name: string,
  ) {}

  /**
   * Claims the tick of `cron` scheduled at `scheduledTime` for this node: `true` once the claim committed, `false` when
   * this tick or a later one was claimed already. Rejects when this node holds no fence of the store, or the write is
   * refused (ERR_FENCED: another node leads now) or fails: the tick must not run here then.
   */
  async claim(cron: string, scheduledTime: number): Promise<boolean> {
    const storage = this.storage();
    // The record is read only once this node's fence is claimed (claimed with the lease, it may still be on its way):
    // read before, it could miss the tick the previous leader claimed meanwhile, and the write under the newer fence
    // would be accepted all the same.
    const fence = await storage.heldFence?.(this.name);
    if (fence === undefined) {
      throw new StorageError("ERR_FENCED", `This node holds no fence of ${this.name}: it does not lead the cluster's crons`);
    }
    const store = storage.kv(this.name);
    const key = recordKey(cron);
    const known = this.#claimed.get(key);
    // Only this node writes under its fence, and its store reads after the writes called before (kv-store.ts): a read
    // then its write is a compare-and-set here.
    const last = known?.fence === fence ? known.last : await store.get<number>(key);
    // Read under this fence, claimed before: no older leader can write the record any more.
    if (last !== undefined) this.#claimed.set(key, { fence, last });
    if (last !== undefined && last >= scheduledTime) return false;
    this.#claimed.delete(key); // the write's outcome decides what is known
    await store.put(key, scheduledTime);
    this.#claimed.set(key, { fence, last: scheduledTime });
    return true;
  }
}
