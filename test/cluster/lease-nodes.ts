/**
 * Lease tables on a real Redis for the lease tests (src/cluster/leases.ts): `leaseNode` is one node's table, with the
 * names it lost and got back recorded; `redisLink` a plain link (to look at Redis directly). `stopLeaseNodes` in
 * `afterEach` stops every table and link made, the TCP proxies and the engines.
 */
import { Leases } from "../../src/cluster/leases.js";
import { connectRedis, type RedisLink } from "../../src/cluster/redis.js";
import { type Logger, silentLogger } from "../../src/runtime/index.js";
import { stopAllEngines } from "../helpers/engines.js";
import { closeAllProxies } from "./network.js";

const links: RedisLink[] = [];
const tables: Leases[] = [];

export async function stopLeaseNodes(): Promise<void> {
  for (const leases of tables.splice(0)) await leases.stop();
  for (const link of links.splice(0)) await link.close();
  await closeAllProxies();
  await stopAllEngines();
}

/** A link to Redis, closed by `stopLeaseNodes`. */
export async function redisLink(url: string, ttlMs: number): Promise<RedisLink> {
  const link = await connectRedis(url, ttlMs, silentLogger());
  links.push(link);
  return link;
}

/**
 * A node's lease table, with the names it lost and got back recorded (`until` waits for one to be). `wrap`: what the
 * table uses as its link, made from the real one (to watch or time what it sends); `logger`: where its lines go.
 */
export async function leaseNode(
  url: string,
  advertise: string,
  ttlMs: number,
  { wrap = (link) => link, logger = silentLogger() }: { wrap?: (link: RedisLink) => RedisLink; logger?: Logger } = {},
) {
  const link = await redisLink(url, ttlMs);
  const lost: string[] = [];
  const retaken: string[] = [];
  const wakers: Array<() => void> = [];
  const note = (list: string[]) => (name: string) => {
    list.push(name);
    for (const wake of wakers.splice(0)) wake();
  };
  const leases = new Leases(wrap(link), advertise, ttlMs, { lost: note(lost), retaken: note(retaken) }, logger, {});
  tables.push(leases);
  await leases.start();
  const until = (check: () => boolean) =>
    new Promise<void>((resolve) => {
      const poll = () => (check() ? resolve() : wakers.push(poll));
      poll();
    });
  return { leases, link, lost, retaken, until };
}
