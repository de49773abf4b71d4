/**
 * The runtime's `RoomPlacement` for a cluster: a room is served by the node holding its lease (leases.ts), and a node
 * that takes a room bumps its fence in storage first (`storage.claim`), so whatever an earlier owner still tries to
 * write is refused. Requests for rooms served elsewhere go to their owner (forward.ts); an owner that cannot be
 * reached is waited for until its lease runs out (bounded), then the room is claimed here.
 */
import type { IncomingMessage } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import { RuntimeError, parseStorageName, sameSecret, storageName, type Logger } from "../runtime/index.js";
import { codeOf } from "../runtime/errors.js";
import type { ForwardTarget, PlacementHost, RoomPlacement } from "../runtime/placement.js";
import type { Storage } from "../../persistence/types.js";
import type { AlarmRecords } from "../runtime/alarms.js";
import type { Upgrade } from "../runtime/upgrade.js";
import { alarmStoreName, clusterAlarmRecords } from "./alarm-records.js";
import { CronTicks } from "./cron-ticks.js";
import { fencesOf, type FenceStore } from "./fence.js";
import type { RedisLink } from "./redis.js";
import { CLUSTER_HEADER, type Forwarder } from "./forward.js";
import { LeavingCluster, type Leases } from "./leases.js";
import { RelayWatch } from "./relay-watch.js";

/**
 * The lease of the node that runs crons and wakes stored alarms; "__yparty:" names no room. Also the name of the store
 * of the cron ticks' record (cron-ticks.ts), whose fence the node claims with the lease.
 */
export const LEADER_LEASE = "__yparty:crons";
/** How long past the TTL a request waits for a room whose owner cannot be reached, before it answers 503. */
const WAIT_PAST_TTL_MS = 1_000;

export interface PlacementOptions {
  leases: Leases;
  redis: RedisLink;
  forwarder: Forwarder;
  /** The storage the rooms are written to (opened by the server; it must have fences: PostgreSQL). */
  storage: () => Storage;
  secret: string;
  logger: Logger;
}

export class ClusterPlacement implements RoomPlacement {
  #host: PlacementHost | undefined;
  readonly #secret: Buffer;
  /** Operations on a room's storage running here without a room (whileClaimed), by storage name. */
  readonly #operations = new Map<string, Promise<unknown>>();

  /** Relayed sockets, cut when their owner no longer holds the room. */
  readonly #relays: RelayWatch;
  readonly #cronTicks: CronTicks;
  /**
   * The crons whose tick's claim is still on its way. A tick that comes due meanwhile is skipped, not claimed: while
   * PostgreSQL was slow or unreachable, each tick's claim waited and, once it answered, all of them committed and ran
   * at once (a backlog of stale ticks: a cron missed runs once here, as on PartyKit's platform, where a missed one is
   * not made up); and one claim a cron bounds what waits. Under a database slower than the cron's period, every
   * other tick still runs.
   */
  readonly #claiming = new Set<string>();

  constructor(private readonly options: PlacementOptions) {
    this.#secret = Buffer.from(options.secret);
    this.#relays = new RelayWatch(options.leases, options.logger);
    this.#cronTicks = new CronTicks(() => this.#fences(), LEADER_LEASE);
  }

  #fences(): Storage & FenceStore {
    return fencesOf(this.options.storage());
  }

  attach(host: PlacementHost): void {
    this.#host = host;
  }

  get advertise(): string {
    return this.options.leases.advertise;
  }

  async claim(party: string, roomId: string): Promise<string | undefined> {
    const name = storageName(party, roomId);
    // An operation on the room's storage here (whileClaimed: a delete) holds the lease and releases it when done: a
    // room claimed meanwhile would be served with its lease and fence released underneath it.
    await this.#operationsDone(name);
    return this.#claimNow(name);
  }

  async #operationsDone(name: string): Promise<void> {
    for (let running = this.#operations.get(name); running; running = this.#operations.get(name)) await running.catch(() => {});
  }

  async #claimNow(name: string): Promise<string | undefined> {
    const { leases, logger } = this.options;
    const deadline = performance.now() + leases.ttlMs + WAIT_PAST_TTL_MS;
    for (;;) {
      const result = await leases.claim(name).catch((error: unknown) => {
        throw unavailable(`Redis cannot be reached to claim ${name}`, error);
      });
      if (result.held) {
        let fence: unknown;
        try {
          // The room's alarm record has a store (and fence) of its own: claimed with the room.
          const fences = this.#fences();
          [fence] = await Promise.all([fences.claim(name, this.advertise), fences.claim(alarmStoreName(name), this.advertise)]);
        } catch (error) {
          await leases.release(name).catch(() => leases.drop(name));
          // The driver's words (`connect ECONNREFUSED <the database's address>`, a user name) are the operator's, not
          // for whoever asked for a room: logged here, left out of the 503.
          logger.warn("cluster.claim_storage_failed", { code: "ERR_ROOM_UNAVAILABLE", room: name, error });
          throw unavailable(`The storage cannot be reached to claim ${name} (the node's log says why)`);
        }
        // The lease may have run out while the fences were claimed (a slow database, a stalled process): a room made
        // now would be served here and by another node, its writes refused here, unacknowledged and never closed.
        if (!leases.holds(name)) {
          this.#forget(name);
          throw unavailable(`${name} lost its lease while its storage was claimed`);
        }
        logger.debug("cluster.claimed", { room: name, fence });
        return undefined;
      }
      // Not our own lease left by an earlier process of this node: the holder serves it.
      if (result.holder !== this.advertise) return result.holder;
      const remainingMs = result.remainingMs ?? leases.ttlMs;
      if (performance.now() + remainingMs > deadline) throw unavailable(`${name} is still leased to an earlier process of this node`);
      await delay(remainingMs + 1);
    }
  }

  holds(party: string, roomId: string): boolean {
    return this.options.leases.holds(storageName(party, roomId));
  }

  async released(party: string, roomId: string): Promise<void> {
    const name = storageName(party, roomId);
    this.#forget(name);
    await this.options.leases.release(name).catch((error: unknown) => {
      this.options.logger.warn("cluster.release_failed", { code: "ERR_CLUSTER_REDIS", room: name, error, message: "the lease runs out by itself" });
    });
  }

  /**
   * Runs `fn` with the room claimed here (lease and fence) though no room is loaded: for an operation on its storage
   * (the admin API's delete). When another node holds the room, `fn` does not run and its owner is returned.
   */
  async whileClaimed<T>(party: string, roomId: string, fn: () => Promise<T>): Promise<{ owner: string } | { result: T }> {
    const name = storageName(party, roomId);
    await this.#operationsDone(name);
    // Registered before its claim: a room claimed here meanwhile waits for the operation to end.
    const operation = (async (): Promise<{ owner: string } | { result: T }> => {
      const owner = await this.#claimNow(name);
      if (owner !== undefined) return { owner };
      try {
        return { result: await fn() };
      } finally {
        await this.released(party, roomId);
      }
    })();
    this.#operations.set(name, operation);
    try {
      return await operation;
    } finally {
      if (this.#operations.get(name) === operation) this.#operations.delete(name);
    }
  }

  isForwarded(req: IncomingMessage): boolean {
    const header = req.headers[CLUSTER_HEADER];
    if (typeof header !== "string") return false;
    return sameSecret(header, this.#secret);
  }

  async forwardUpgrade(owner: string, upgrade: Upgrade, target: ForwardTarget): Promise<boolean> {
    const watch = this.#watchOwner(target, owner);
    const name = storageName(target.party, target.roomId);
    const relayed = await this.options.forwarder
      .relayUpgrade(owner, upgrade, target.request, watch.signal, (cut) => this.#relays.add(name, owner, cut))
      .finally(() => watch.stop());
    if (relayed) return true;
    await this.#waitForLease(target, owner);
    return false;
  }

  async forwardRequest(owner: string, target: ForwardTarget): Promise<Response | undefined> {
    const watch = this.#watchOwner(target, owner);
    const response = await this.options.forwarder.proxy(owner, target.request, watch.signal).finally(() => watch.stop());
    if (response) return response;
    await this.#waitForLease(target, owner);
    return undefined;
  }

  closing(): void {
    this.options.forwarder.endRelays();
    // A claim waiting for a silent Redis would hold its request, and the shutdown, until its deadline.
    this.options.leases.leave();
  }

  /**
   * Whether this node runs the cron tick: it leads now, by its own clock (asked before anything is awaited: a leader
   * resumed from a freeze runs none of the ticks whose timers came due meanwhile), its claim of the tick in the
   * cluster's record committed under its fence (cron-ticks.ts: no other leader runs it), and it still leads then.
   */
  async claimCronTick(cron: string, scheduledTime: number): Promise<boolean> {
    const { leases, logger } = this.options;
    if (!leases.holds(LEADER_LEASE)) return false;
    const skipped = (fields: Record<string, unknown>) => logger.warn("cron.tick_skipped", { cron, scheduledTime, ...fields });
    if (this.#claiming.has(cron)) {
      skipped({ code: "ERR_STORAGE_BACKLOG", message: "the claim of an earlier tick of this cron still waits for the storage: this one is not run" });
      return false;
    }
    this.#claiming.add(cron);
    try {
      if (!(await this.#cronTicks.claim(cron, scheduledTime))) {
        logger.info("cron.tick_skipped", { cron, scheduledTime, message: "another node claimed this tick (or a later one): it runs there" });
        return false;
      }
    } catch (error) {
      // ERR_FENCED: another node took the lead since this one asked (Redis lost the lease key, this node was frozen).
      skipped({ code: codeOf(error, "ERR_STORAGE_WRITE"), error, message: "this node could not claim the tick: it does not run it" });
      return false;
    } finally {
      this.#claiming.delete(cron);
    }
    // Claimed, but the lead was lost while the claim was written (a freeze, a slow database): run late here, after
    // the next leader's ticks, it would be a stale tick; it is skipped (at most once per scheduled time).
    if (leases.holds(LEADER_LEASE)) return true;
    skipped({ code: "ERR_LEASE_LOST", message: "this node stopped leading while it claimed the tick" });
    return false;
  }

  alarmRecords(storage: Storage): AlarmRecords {
    const { leases, redis, logger } = this.options;
    return clusterAlarmRecords(
      storage,
      redis,
      leases.ttlMs / 3,
      (what, ask) =>
        leases.question(what, ask).catch((error: unknown) => {
          throw unavailable("The stored alarms of rooms no node serves cannot be woken now", error, "the leader tries again at its next tick");
        }),
      logger,
    );
  }

  /** This node's writes of the room (and of its alarm) are refused from now on. */
  #forget(name: string): void {
    const fences = this.#fences();
    fences.forget?.(name);
    fences.forget?.(alarmStoreName(name));
  }

  /** A lease is no longer ours: the room stops here (1013), without release. */
  lost(name: string): void {
    this.#forget(name);
    const room = parseStorageName(name);
    if (room) this.#host?.lose(room.party, room.roomId);
  }

  /** Redis lost the key and the renewal took it again: still ours only if no one claimed the room meanwhile. */
  async retaken(name: string): Promise<void> {
    const fences = this.#fences();
    if (!fences.fenceOf || !fences.heldFence) return;
    try {
      const [now, held] = await Promise.all([fences.fenceOf(name), fences.heldFence(name)]);
      if (held !== undefined && now === held) return;
      this.options.logger.warn("cluster.fence_moved", { code: "ERR_LEASE_LOST", room: name, fence: held, current: now });
    } catch (error) {
      // Unknown: stop serving it rather than guess (the fence refuses a stale writer anyway).
      this.options.logger.warn("cluster.fence_check_failed", { code: "ERR_LEASE_LOST", room: name, error });
    }
    await this.options.leases.release(name).catch(() => this.options.leases.drop(name));
    this.lost(name);
  }

  /** Wakes stored alarms while this node leads (called once per TTL). */
  async tick(): Promise<void> {
    const { leases } = this.options;
    // Not before the server attached, its storage open: a node whose storage fails to open (a wrong --store) would
    // hold the leader lease, running no cron and waking no alarm, until it exits (and up to a TTL after, if killed).
    if (!this.#host) return;
    if (!leases.holds(LEADER_LEASE)) {
      const claimed = await leases.claim(LEADER_LEASE).catch(() => undefined);
      if (!claimed?.held) return;
      // The lead's fence, claimed at once (before a cron timer can ask claimCronTick): an earlier leader that still
      // believes it leads can no longer claim a tick. Redis losing the lease key does not move it: this node's renewal
      // takes the key again and keeps the lead while the fence is still its own (retaken).
      try {
        await this.#fences().claim(LEADER_LEASE, this.advertise);
      } catch (error) {
        await leases.release(LEADER_LEASE).catch(() => leases.drop(LEADER_LEASE));
        this.options.logger.warn("cluster.leader_unclaimed", {
          code: "ERR_STORAGE_WRITE",
          error,
          message: "the storage cannot be reached: the lead is left to the next try",
        });
        return;
      }
      this.options.logger.info("cluster.leader", { node: this.advertise, message: "this node runs the crons and wakes stored alarms" });
    }
    await this.#host?.wakeAlarms();
  }

  /**
   * While a forwarded request or upgrade waits for the owner's answer: aborts it once the owner no longer holds the
   * room's lease (a frozen process still accepts connections, and would hold the request as long as it is frozen).
   * Stopped by the caller once the answer came.
   */
  #watchOwner(target: ForwardTarget, owner: string): { signal: AbortSignal; stop(): void } {
    const { leases } = this.options;
    const name = storageName(target.party, target.roomId);
    const controller = new AbortController();
    let stopped = false;
    const every = Math.max(50, Math.min(500, leases.ttlMs / 4));
    void (async () => {
      while (!stopped) {
        await delay(every);
        if (stopped) return;
        const holder = await leases.holder(name).catch(() => owner); // Redis unreachable: no news of the owner
        if (holder !== owner && !stopped) return controller.abort(new Error(`${owner} no longer holds ${name}`));
      }
    })();
    return {
      signal: controller.signal,
      stop: () => {
        stopped = true;
      },
    };
  }

  /** Holds a request for an unreachable owner until its lease has run out (or moved), at most TTL + 1 s. */
  async #waitForLease(target: ForwardTarget, owner: string): Promise<void> {
    const { leases, logger } = this.options;
    const name = storageName(target.party, target.roomId);
    logger.warn("cluster.owner_unreachable", { code: "ERR_ROOM_UNAVAILABLE", room: name, owner });
    const deadline = performance.now() + leases.ttlMs + WAIT_PAST_TTL_MS;
    while (performance.now() < deadline) {
      const holder = await leases.holder(name).catch(() => owner);
      if (holder !== owner) return;
      await delay(Math.min(50, leases.ttlMs / 10));
    }
  }
}

/**
 * No node can serve the room (or answer about it) now: 503 to retry, saying why (`message`: what could not be done;
 * the cause: what happened) and what to do (`next`). A wait given up as this node leaves says that instead: Redis was
 * not at fault.
 */
export function unavailable(message: string, cause?: unknown, next = "try again"): RuntimeError {
  if (cause instanceof LeavingCluster) return new RuntimeError("ERR_SHUTTING_DOWN", "This node is shutting down; try again", 503, { cause });
  const reason = cause instanceof Error ? `: ${cause.message}` : "";
  return new RuntimeError("ERR_ROOM_UNAVAILABLE", `${message}${reason}; ${next}`, 503, { cause });
}
