/**
 * Leases in Redis: which node serves a room. A lease is `yparty:lease:{name}` = "<advertise> <nonce>" with a TTL, taken
 * with SET NX PX (GET tells the holder in the same round trip), renewed for all of the node's leases (and its node key)
 * in one script every ttl/3, released by compare-and-delete. Each held lease has `validUntil` on the monotonic clock,
 * from when the last confirmed renewal was sent (Redlock's drift allowance): past it the lease is lost, whatever Redis
 * says later. A claim not answered yet goes into the renewals sent meanwhile, as the leases held: a lease claimed while
 * the event loop is busy is then kept as long as those. A lease only says who serves; the fence in storage is what
 * makes a stale writer harmless.
 *
 * What a claim or a question asks of Redis is waited for at most the lease's validity: a claim answered later would
 * give a lease already run out by this node's clock (it counts from the send, and a renewal sent after the claim is
 * answered after it). A command past its wait stays listed until Redis answers it or the link breaks: meanwhile Redis
 * is taken as silent (a partition, a frozen Redis), and claims and questions are refused without being sent, so a
 * client retrying adds nothing to the link's queue of unanswered commands.
 */
import { createHash, randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import type { Logger } from "../runtime/index.js";
import { LoopStalls } from "./loop-stalls.js";
import { answeredWithin, leavingWaitMs, type LuaScript, type RedisLink } from "./redis.js";

export const KEY_PREFIX = "yparty:";
export const leaseKey = (name: string): string => `${KEY_PREFIX}lease:${name}`;
export const nodeKey = (advertise: string): string => `${KEY_PREFIX}node:${advertise}`;

/** Share of the TTL a lease counts as valid after a renewal was sent, and the clock drift allowed besides. */
const VALIDITY_SHARE = 0.9;
const DRIFT_MS = 2;
/** Renewals that may be unanswered at once (each is one EVAL of the renew script, which is idempotent). */
const MAX_RENEWALS_IN_FLIGHT = 2;

export function lua(source: string): LuaScript {
  return { source, sha: createHash("sha1").update(source).digest("hex") };
}

/**
 * KEYS: lease keys; ARGV[1]: ttl ms; ARGV[i + 1]: our value of KEYS[i]. Extends what we hold, takes again a key that is
 * gone (Redis restarted empty, or it expired: reported as -i, the caller checks its fence), reports i for a key another
 * node holds now.
 */
const RENEW = lua(`local lost = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v == ARGV[i + 1] then redis.call('PEXPIRE', key, ARGV[1])
  elseif v == false and redis.call('SET', key, ARGV[i + 1], 'NX', 'PX', ARGV[1]) then table.insert(lost, -i)
  else table.insert(lost, i) end
end
return lost`);

const RELEASE = lua(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`);

/** A claim refused, or given up, because the node is leaving the cluster (`leave`, `stop`). */
export class LeavingCluster extends Error {
  override readonly name = "LeavingCluster";
  constructor() {
    super("this node is leaving the cluster");
  }
}

/**
 * `remainingMs`: only for a lease this node's address holds (left by its earlier process), how long it runs yet (the
 * claim waits it out); another node's holder is all a claim needs, in one round trip.
 */
export type ClaimResult = { held: true } | { held: false; holder: string; remainingMs?: number };

export interface LeaseEvents {
  /** The lease is no longer this node's (another holds it, or it ran out before a renewal was confirmed). */
  lost(name: string): void;
  /** Redis had lost the key and the renewal took it again: whether the room is still ours is for the fence to say. */
  retaken(name: string): void;
}

interface Held {
  value: string;
  validUntil: number;
}

/** A claim sent and not answered yet. */
interface Unanswered {
  value: string;
  /** When the latest renewal that found the key ours was sent (at first, the claim): the lease counts from it. */
  renewedAt: number;
  /** A renewal sent meanwhile found the key gone and set it for this claim: a claim refused then releases it. */
  retaken?: boolean;
}

export class Leases {
  readonly #held = new Map<string, Held>();
  readonly #validityMs: number;
  readonly #nodeValue: string;
  #renewTimer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  /** Renewals sent and not answered yet. */
  #renewing = 0;
  #stopped = false;
  /** Claims sent and not answered yet (`stop` waits for them before it releases). */
  readonly #claiming = new Set<Promise<ClaimResult>>();
  /** The same claims by name, with their values, for the renewals sent meanwhile. */
  readonly #unanswered = new Map<string, Unanswered>();
  /**
   * Claims that failed without an answer (the link to Redis broke, or Redis refused the command), by value: the claim
   * may have set the key, and a renewal sent meanwhile extended it, yet no one serves the room. Released
   * (compare-and-delete) with the next renewal, once Redis answers again; before, the key stayed a TTL and every node
   * waited it out (this one too: its own address, as if left by an earlier process).
   */
  readonly #unsettled = new Map<string, string>();
  #renewFailing = false;
  /** Commands sent for a claim or a question, past their wait and not answered yet, with when each was sent. */
  readonly #overdue = new Map<Promise<unknown>, number>();
  /**
   * Aborted by `leave`: what waits for Redis for a claim is given up. Every wait listens to it, as many as there are
   * rooms being claimed (a takeover): no listener limit, or Node warns of a leak at the eleventh.
   */
  readonly #leaving = withoutListenerLimit(new AbortController());
  /** The turns that held the event loop, as the expiry timer saw them: why a lease ran out, when it did. */
  readonly #stalls: LoopStalls;

  constructor(
    private readonly redis: RedisLink,
    readonly advertise: string,
    readonly ttlMs: number,
    private readonly events: LeaseEvents,
    private readonly logger: Logger,
    nodeInfo: Record<string, unknown>,
  ) {
    this.#validityMs = ttlMs * VALIDITY_SHARE - DRIFT_MS;
    this.#stalls = new LoopStalls(this.#expiryPeriodMs, ttlMs * 2);
    this.#nodeValue = JSON.stringify({ node: advertise, ...nodeInfo });
  }

  /**
   * Announces the node and starts renewing (every ttl/3) and expiring (every ttl/10). A lease is judged after the I/O
   * of the turn its timer fires in (`setImmediate`): when a long turn of the event loop ends (rooms loading), the timers
   * come first, and a renewal's confirmation that arrived during the turn would be read only after the lease had been
   * judged without it (lost, though Redis had extended it). Read first, it counts: `validUntil` comes from when the
   * renewal was sent, not when its answer is read, so judging later never keeps a lease past what Redis confirmed.
   * A renewal is written to Redis from its timer, before the rest of that turn (redis.ts, writtenNow): its answer
   * comes during a long turn and is read as it ends, before the leases are judged.
   */
  async start(): Promise<void> {
    await this.#renew();
    this.#renewTimer = setInterval(() => void this.#renew(), this.ttlMs / 3);
    this.#stalls.tick(); // from now on
    this.#expiryTimer = setInterval(() => {
      this.#stalls.tick();
      setImmediate(this.#expireAfterIo);
    }, this.#expiryPeriodMs);
    this.#renewTimer.unref();
    this.#expiryTimer.unref();
  }

  get #expiryPeriodMs(): number {
    return Math.max(10, this.ttlMs / 10);
  }

  readonly #expireAfterIo = (): void => {
    if (!this.#stopped) this.#expire();
  };

  /**
   * Stops renewing, releases what is still held (rooms release theirs as they unload, before this) and the node key.
   * A claim still on its way (the leader's, sent by a tick) is waited for: taken after the names were read, it would
   * stay in Redis for a TTL with no one renewing or serving it.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#renewTimer);
    clearInterval(this.#expiryTimer);
    // Redis not answering (a partition: commands wait on the open connection) would hold the shutdown for as long as
    // it lasts; what was not released runs out by itself (redis.ts, leavingWaitMs).
    await answeredWithin(
      (async () => {
        await Promise.allSettled(this.#claiming);
        await Promise.all([...this.names().map((name) => this.release(name).catch(() => {})), this.#settle()]);
        await this.redis.evalScript(RELEASE, [nodeKey(this.advertise)], [this.#nodeValue]);
      })(),
      leavingWaitMs(this.ttlMs),
      "the release of the node's leases",
    ).catch(() => {});
  }

  /**
   * The server is closing: claims waiting for Redis are given up now (their requests are answered "try again", and
   * reach another node) rather than at their deadline, and none is made from now on. What is held is renewed until
   * `stop`.
   */
  leave(): void {
    this.#leaving.abort(new LeavingCluster());
  }

  /**
   * Takes the lease if no node holds it; else says who does and for how long yet. Rejects when Redis is unreachable,
   * has not answered within the lease's validity, or once the node is leaving (`leave`, `stop`).
   */
  async claim(name: string): Promise<ClaimResult> {
    if (this.#stopped || this.#leaving.signal.aborted) throw new LeavingCluster();
    const claiming = this.#claim(name);
    this.#claiming.add(claiming);
    try {
      return await claiming;
    } finally {
      this.#claiming.delete(claiming);
    }
  }

  async #claim(name: string): Promise<ClaimResult> {
    if (this.holds(name)) return { held: true };
    this.#refuseWhileSilent("the claim");
    const deadline = performance.now() + this.#validityMs;
    // A claim of this room whose answer was lost may have set the key: released first (this is the connection the
    // claim goes on), or it refuses this claim with this node's own address, waited out as an earlier process's.
    if ([...this.#unsettled.values()].includes(name)) {
      const releasedAt = performance.now();
      await this.#within(this.#settle(name), deadline, "the release of an earlier claim");
      // The claim goes on the same connection, after it: with less time left than that round trip took, it would be
      // judged overdue unanswered (Redis taken for silent though it answers) and might still take the key.
      const tookMs = performance.now() - releasedAt;
      const leftMs = deadline - performance.now();
      if (leftMs < tookMs) {
        throw new Error(
          `the release of an earlier claim of ${name} took ${Math.round(tookMs)} ms, leaving ${Math.max(0, Math.round(leftMs))} ms for the claim; nothing was claimed`,
        );
      }
    }
    const value = `${this.advertise} ${randomBytes(16).toString("hex")}`;
    const unanswered: Unanswered = { value, renewedAt: performance.now() };
    const answer = this.redis.send<string | null>(["SET", leaseKey(name), value, "NX", "PX", String(this.ttlMs), "GET"]);
    // Listed once sent: a renewal sent from now on goes after the claim on the one connection, and Redis runs them in
    // that order (the renewal finds the key ours, or another node's).
    this.#unanswered.set(name, unanswered);
    let previous: string | null;
    try {
      previous = await this.#within(answer, deadline, "the claim");
    } catch (error) {
      // Unanswered (lost, late, or given up): Redis may have run it, or may yet. Its key is released with the next
      // renewal Redis answers, or before this room's next claim here; never held here, so served by no one meanwhile.
      this.#unsettled.set(value, name);
      throw error;
    } finally {
      if (this.#unanswered.get(name) === unanswered) this.#unanswered.delete(name);
    }
    if (previous === null) {
      this.#held.set(name, { value, validUntil: unanswered.renewedAt + this.#validityMs });
      return { held: true };
    }
    // Refused, yet a renewal sent behind it found the other node's key run out and set it for this claim: nobody serves
    // the room under it, and every node would wait a TTL for it (compare-and-delete: never another's).
    if (unanswered.retaken) this.redis.evalScript(RELEASE, [leaseKey(name)], [value]).catch(() => {});
    const holder = previous.split(" ")[0]!;
    // Asked only when it is waited for: a second round trip for every room served elsewhere (each forwarded request)
    // halved how far away Redis could be before a claim missed its wait and Redis was taken for silent.
    if (holder !== this.advertise) return { held: false, holder };
    const remainingMs = Number(await this.#within(this.redis.send<number>(["PTTL", leaseKey(name)]), deadline, "the time left of its lease"));
    return { held: false, holder, remainingMs: Math.max(0, Math.min(remainingMs, this.ttlMs)) };
  }

  /** Held and valid now (a renewal confirmed within the validity). */
  holds(name: string): boolean {
    const held = this.#held.get(name);
    return held !== undefined && performance.now() < held.validUntil;
  }

  /** Who holds the lease now (its advertise address), or `undefined` when no one does. */
  async holder(name: string): Promise<string | undefined> {
    const what = "the question of who holds the room";
    this.#refuseWhileSilent(what);
    const value = await this.#within(this.redis.send<string | null>(["GET", leaseKey(name)]), performance.now() + this.#validityMs, what);
    return value === null ? undefined : value.split(" ")[0];
  }

  /**
   * What `ask` asks Redis (reads of the admin API: the listing), waited for at most the lease's validity, and refused
   * without being asked while Redis is silent, as claims are: a dashboard polling it would pile commands up in the
   * link for as long as a partition lasts. `what` names the one command or read asked ("the listing's read of the
   * leases"), as the refusals and the timeout say it.
   */
  async question<T>(what: string, ask: () => Promise<T>): Promise<T> {
    this.#refuseWhileSilent(what);
    return this.#within(ask(), performance.now() + this.#validityMs, what);
  }

  /** Gives the lease up (compare-and-delete: never someone else's). */
  async release(name: string): Promise<void> {
    const held = this.#held.get(name);
    if (!held) return;
    this.#held.delete(name);
    await answeredWithin(this.redis.evalScript(RELEASE, [leaseKey(name)], [held.value]), leavingWaitMs(this.ttlMs), `the release of ${name}`);
  }

  /** Forgets a lease without touching Redis (it was lost). */
  drop(name: string): void {
    this.#held.delete(name);
  }

  /** The names held now. */
  names(): string[] {
    return [...this.#held.keys()];
  }

  async #renew(): Promise<void> {
    // One more may be sent while the last is unanswered: an answer read late (after a long turn of the event loop)
    // must not also delay the next renewal. Past that, validUntil decides meanwhile.
    if (this.#renewing >= MAX_RENEWALS_IN_FLIGHT) return;
    this.#renewing++;
    const names = [...this.#held.keys()];
    const values = names.map((name) => this.#held.get(name)!.value);
    // Claims on their way go too: a busy event loop reads a claim's answer late, and a lease left out of the renewals
    // sent meanwhile would count from its claim only, waiting a whole period more for one (the leader's, claimed by a
    // tick while the rooms taken over load, was lost so).
    for (const [name, { value }] of this.#unanswered) {
      if (this.#held.has(name)) continue;
      names.push(name);
      values.push(value);
    }
    const sentAt = performance.now();
    try {
      const keys = [...names.map(leaseKey), nodeKey(this.advertise)];
      // Written now, not at the end of this turn: the lease counts from `sentAt` (redis.ts, writtenNow).
      const reply = await this.redis.writeNow(() => {
        void this.#settle(); // sent first: Redis runs it before the renewal
        return this.redis.evalScript<number[]>(RENEW, keys, [String(this.ttlMs), ...values, this.#nodeValue]);
      });
      const lost = new Set<number>();
      const retaken = new Set<number>();
      for (const index of reply.map(Number)) (index > 0 ? lost : retaken).add(Math.abs(index) - 1);
      names.forEach((name, i) => {
        const held = this.#held.get(name);
        const unanswered = this.#unanswered.get(name);
        if (!held && unanswered?.value === values[i]) {
          // Its claim's answer is not handled yet (both answers read at once: the renewal is written as its timer
          // fires, right behind the claim): it will count from this, or release the key this renewal took for it
          // once it was refused (leases.test.ts). Handled before, a key taken for a claim refused is released below.
          if (retaken.has(i)) unanswered.retaken = true;
          else if (!lost.has(i)) unanswered.renewedAt = Math.max(unanswered.renewedAt, sentAt);
          return;
        }
        if (held?.value !== values[i]) {
          // Given up meanwhile (it expired here while the answer was late: Redis frozen, a stalled link), yet this
          // renewal set or extended the key: nobody serves the room under it, and every node would wait a TTL for it.
          if (!held && !lost.has(i)) this.redis.evalScript(RELEASE, [leaseKey(name)], [values[i]!]).catch(() => {});
          return; // released or claimed anew meanwhile
        }
        if (sentAt >= held.validUntil) {
          // Sent once the lease had run out by this node's clock (a turn longer than its validity, the renewal's timer
          // firing at its end): lost then, whatever Redis says now. Judged before, it was; its answer, read first now
          // (the renewal is written as its timer fires), must not bring it back. The key it extended is given up.
          this.#runOut(name, held);
          if (!lost.has(i)) this.redis.evalScript(RELEASE, [leaseKey(name)], [values[i]!]).catch(() => {});
          return;
        }
        if (lost.has(i)) {
          this.#held.delete(name);
          this.logger.warn("cluster.lease_lost", { code: "ERR_LEASE_LOST", room: name, message: "another node holds the lease now" });
          this.events.lost(name);
          return;
        }
        held.validUntil = Math.max(held.validUntil, sentAt + this.#validityMs);
        if (retaken.has(i)) this.events.retaken(name);
      });
      // Redis answers in order: what was sent before this renewal is answered too (or was lost with its connection).
      this.#answered((_, overdueSentAt) => overdueSentAt < sentAt);
      if (this.#renewFailing) this.logger.info("cluster.renew_recovered", { leases: names.length });
      this.#renewFailing = false;
    } catch (error) {
      if (!this.#renewFailing) this.logger.warn("cluster.renew_failed", { code: "ERR_CLUSTER_REDIS", leases: names.length, error });
      this.#renewFailing = true;
    } finally {
      this.#renewing--;
    }
  }

  /**
   * Releases the keys failed claims (of `only`, or of every room) may have left (kept for the next try while Redis
   * cannot be reached).
   */
  async #settle(only?: string): Promise<void> {
    const left = [...this.#unsettled].filter(([, name]) => only === undefined || name === only);
    await Promise.all(
      left.map(([value, name]) =>
        this.redis.evalScript(RELEASE, [leaseKey(name)], [value]).then(
          () => this.#unsettled.delete(value),
          () => {},
        ),
      ),
    );
  }

  /**
   * `answer` (a command just sent), or a rejection once `deadline` passed or the node leaves (`leave`). Past its wait,
   * the command is listed as overdue until Redis answers it.
   */
  #within<T>(answer: Promise<T>, deadline: number, what: string): Promise<T> {
    const sentAt = performance.now();
    let answered = false;
    const settled = () => {
      answered = true;
      this.#answered((overdue) => overdue === answer);
    };
    answer.then(settled, settled);
    return answeredWithin(answer, Math.max(0, deadline - sentAt), what, this.#leaving.signal).catch((error: unknown) => {
      // Given up as the node leaves: no news of Redis.
      if (!answered && !this.#leaving.signal.aborted && !this.#overdue.has(answer)) {
        if (this.#overdue.size === 0) {
          this.logger.warn("cluster.redis_silent", {
            code: "ERR_CLUSTER_REDIS",
            error,
            message: "Redis does not answer (a partition, or a frozen Redis): no room is claimed here until it does; check this node's connection to Redis",
          });
        }
        this.#overdue.set(answer, sentAt);
      }
      throw error;
    });
  }

  /** Overdue commands `which` says were answered are no longer waited for; the last one ends Redis's silence. */
  #answered(which: (answer: Promise<unknown>, sentAt: number) => boolean): void {
    if (this.#overdue.size === 0) return;
    for (const [answer, sentAt] of this.#overdue) if (which(answer, sentAt)) this.#overdue.delete(answer);
    if (this.#overdue.size === 0) this.logger.info("cluster.redis_answering", { message: "Redis answers again: rooms are claimed here again" });
  }

  /**
   * While a command is overdue, Redis is silent: asking more would only lengthen the link's queue. `what` names the one
   * command refused ("the claim"); the caller's message says what it was for and what to do.
   */
  #refuseWhileSilent(what: string): void {
    if (this.#overdue.size === 0) return;
    const since = Math.min(...this.#overdue.values());
    throw new Error(`Redis has not answered a command sent ${Math.round(performance.now() - since)} ms ago, so ${what} was not sent`);
  }

  /** Leases past their validity are lost, whether or not Redis answered. */
  #expire(): void {
    const now = performance.now();
    for (const [name, held] of this.#held) if (now >= held.validUntil) this.#runOut(name, held);
  }

  #runOut(name: string, held: Held): void {
    this.#held.delete(name);
    this.logger.warn("cluster.lease_expired", { code: "ERR_LEASE_LOST", room: name, ...this.#whyExpired(held.validUntil) });
    this.events.lost(name);
  }

  /**
   * Why no renewal was confirmed by `validUntil`: the event loop held at once for longer than renewals every ttl/3
   * absorb (the validity less one period) since the last renewal confirmed was sent, or else Redis (late or silent).
   */
  #whyExpired(validUntil: number): { message: string; longestTurnMs: number } {
    const longestTurnMs = Math.round(this.#stalls.longestSince(validUntil - this.#validityMs));
    const absorbedMs = Math.round(this.#validityMs - this.ttlMs / 3);
    if (longestTurnMs >= absorbedMs) {
      return {
        longestTurnMs,
        message: `no renewal was confirmed in time: this node's event loop was held ${longestTurnMs} ms at once (a long turn of its own work, or the process starved of CPU), and a lease of ${this.ttlMs} ms absorbs ${absorbedMs} ms; give the node more CPU or raise --lease-ttl (docs/cluster.md)`,
      };
    }
    return {
      longestTurnMs,
      message: `no renewal was confirmed in time: none was answered within the lease's validity (${Math.round(this.#validityMs)} ms), and no turn of this node explains it (the longest: ${longestTurnMs} ms): Redis, or the way to it, was slow or silent; check this node's link to Redis`,
    };
  }
}

function withoutListenerLimit(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
