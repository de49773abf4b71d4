/**
 * The node's one Redis client, set up for leases (docs/cluster.md): a command that cannot be sent now fails at once
 * (a lease command sent late is worthless: `validUntil` decides), reconnects are quick (the default backs off to 2 s,
 * too slow for a 5 s lease), errors are logged (without a listener an unreachable Redis would crash the process), and
 * no pings (renewals are the heartbeat).
 */
import { createClient } from "@redis/client";
import type { Logger } from "../runtime/index.js";

/** The commands the cluster sends, as raw arguments (one round trip each). */
export interface RedisLink {
  send<T>(args: string[]): Promise<T>;
  /** Runs a Lua script by its SHA, loading it again when Redis lost its script cache (a restart). */
  evalScript<T>(script: LuaScript, keys: string[], args: string[]): Promise<T>;
  /**
   * Runs `send` (which sends commands on this link) and writes what it sent to the socket before returning, rather than
   * at the end of the turn (@redis/client writes its queue in a `setImmediate`): a lease renewal fired by its timer
   * must not wait behind the rest of a long turn to leave (see `writtenNow`).
   */
  writeNow<T>(send: () => T): T;
  /** Every key matching `pattern` (SCAN, never KEYS). */
  scan(pattern: string): Promise<string[]>;
  close(): Promise<void>;
  /** Closed by `close` (nothing more can be sent). */
  readonly closed: boolean;
}

export interface LuaScript {
  source: string;
  sha: string;
}

/**
 * How long a node starting up tries to reach Redis before it gives up (exit 1, saying why): a wrong URL, a Redis that
 * is not there or a server that never answers fails the start instead of a node that never listens. Once connected,
 * reconnects never give up.
 */
export const FIRST_CONNECT_MS = 5_000;

export async function connectRedis(url: string, leaseTtlMs: number, logger: Logger): Promise<RedisLink> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    pingInterval: 0,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, Math.max(50, leaseTtlMs / 10)), connectTimeout: leaseTtlMs },
  });
  let reported = false;
  let lastError: Error | undefined;
  client.on("error", (error: Error) => {
    lastError = error;
    // Once per outage: a reconnect loop would otherwise log ten lines a second.
    if (!reported) logger.warn("cluster.redis_error", { code: "ERR_CLUSTER_REDIS", error, message: `Redis at ${redact(url)}: ${error.message}` });
    reported = true;
  });
  client.on("ready", () => {
    if (reported) logger.info("cluster.redis_ready", { url: redact(url) });
    reported = false;
  });
  await connectWithin(client, FIRST_CONNECT_MS, () => lastError);
  const send = <T>(args: string[]) => client.sendCommand(args) as Promise<T>;
  let closed = false;
  return {
    send,
    get closed() {
      return closed;
    },
    writeNow: writtenNow,
    async evalScript<T>(script: LuaScript, keys: string[], args: string[]): Promise<T> {
      try {
        return await send<T>(["EVALSHA", script.sha, String(keys.length), ...keys, ...args]);
      } catch (error) {
        if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
        return send<T>(["EVAL", script.source, String(keys.length), ...keys, ...args]);
      }
    },
    async scan(pattern: string): Promise<string[]> {
      const keys: string[] = [];
      for await (const page of client.scanIterator({ MATCH: pattern, COUNT: 500 })) keys.push(...page);
      return keys;
    },
    async close(): Promise<void> {
      closed = true;
      // A graceful close waits for every reply owed: a Redis that does not answer (a partition) would hold it, and the
      // node's shutdown, for as long as that lasts. Past `leavingWaitMs`, the link is cut.
      await answeredWithin(client.close(), leavingWaitMs(leaseTtlMs), "the close of the link").catch(() => client.destroy());
    },
  };
}

/**
 * `send()`, with the client's write of what it queued run before this returns. @redis/client schedules that write with
 * `setImmediate` when a command is queued and none is scheduled yet; the one scheduled during `send` is taken and run
 * now. Measured beside CPU hogs (a node taking over rooms, turns of 450-630 ms): renewals fired by their timer waited
 * 450-475 ms for the turn to end before they were written, their answers came after the leases' validity, and every
 * lease of the node was lost at once; written now, Redis extends the lease while the turn goes on, and its answer is
 * read as the turn ends, before the leases are judged. Nothing is taken when a write was already scheduled this turn
 * (another command sent before): the commands then leave together at the turn's end, as before. Only the client's own
 * write is taken (isClientsWrite): another module's `setImmediate` during the send is left alone.
 */
export function writtenNow<T>(send: () => T): T {
  const later = globalThis.setImmediate;
  let write: (() => void) | undefined;
  globalThis.setImmediate = ((callback: (...args: unknown[]) => void, ...args: unknown[]) => {
    // Only the client's write is taken: another module's callback scheduled meanwhile (a tracer subscribed to the
    // client's tracing channel, which runs as the command starts) runs when it asked to, not inside this send.
    if (write || !isClientsWrite(callback)) return later(callback, ...args);
    write = () => callback(...args);
    return later(() => {}); // the client keeps it as its scheduled write; the write it stands for runs below
  }) as typeof setImmediate;
  try {
    return send();
  } finally {
    globalThis.setImmediate = later;
    write?.();
  }
}

/**
 * The callback @redis/client (6.x, client/index.js `#scheduleWrite`) schedules to write its queue: `() => {
 * this.#write(); this.#scheduledWrite = undefined; }`. A client whose write looks otherwise is never hurried: its
 * commands leave at the end of the turn, as they did before writtenNow.
 */
function isClientsWrite(callback: unknown): boolean {
  return typeof callback === "function" && /this\.#write\(\)/.test(Function.prototype.toString.call(callback));
}

/**
 * How long a node waits for Redis to answer what it sends as it gives up leases (a release, the link's close): a
 * Redis that answers does so in milliseconds, and one that does not (a partition: the connection open, nothing back)
 * would hold the shutdown for as long as that lasts. Past it nothing is lost: the keys run out by themselves (a TTL).
 * Well within the CLI's shutdown timeout (15 s) for its few steps, whatever the TTL.
 */
export const leavingWaitMs = (leaseTtlMs: number): number => Math.min(leaseTtlMs, 1_000);

/**
 * `answer`, or a rejection saying what Redis did not answer once `ms` passed (the command may still run later), or
 * `signal`'s reason once it aborts. Judged after the I/O of the turn the timer fires in (`setImmediate`): when a long
 * turn of the event loop ends, the timers come first, and an answer that arrived during the turn would be read only
 * after the wait had been judged over without it.
 */
export function answeredWithin<T>(answer: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let abort: (() => void) | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer ${what} within ${Math.round(ms)} ms`))), ms);
    if (!signal) return;
    abort = () => reject(signal.reason);
    if (signal.aborted) abort();
    else signal.addEventListener("abort", abort, { once: true });
  });
  return Promise.race([answer, late]).finally(() => {
    clearTimeout(timer);
    if (abort) signal?.removeEventListener("abort", abort);
  });
}

/** Connects, or destroys the client and throws once `ms` passed (its retries would go on forever). */
async function connectWithin(client: { connect(): Promise<unknown>; destroy(): void }, ms: number, lastError: () => Error | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const cause = lastError();
      client.destroy();
      reject(new Error(`not connected within ${ms / 1000} s${cause ? ` (${cause.message})` : ""}`));
    }, ms);
  });
  const connected = client.connect();
  connected.catch(() => {}); // once destroyed, its rejection is the deadline's
  try {
    await Promise.race([connected, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}
