/**
 * yparty across nodes (docs/cluster.md): `startCluster` connects to Redis, announces the node and gives the runtime its
 * `RoomPlacement` (`createServer({ placement })`). Redis decides who serves a room (leases), the storage's fence makes
 * it safe, requests for rooms served elsewhere are forwarded to their owner.
 */
import type { Storage } from "../../persistence/types.js";
import { storageName, type Logger, type RoomListing } from "../runtime/index.js";
import { Forwarder } from "./forward.js";
import { Leases } from "./leases.js";
import { listCluster, type ClusterListing, type FetchLive } from "./listing.js";
import { ClusterPlacement, unavailable } from "./placement.js";
import { connectRedis } from "./redis.js";

export { CLUSTER_HEADER, HOP_HEADER } from "./forward.js";
export type { ClusterListing, ClusterRoomRow, FetchLive } from "./listing.js";

export interface ClusterOptions {
  /** `redis://…` */
  redis: string;
  /** This node's address as the other nodes reach it, `http://HOST:PORT`. */
  advertise: string;
  leaseTtlMs: number;
  /** Shared by every node: marks requests one node forwards to another. */
  secret: string;
  logger: Logger;
  /** The storage the server opened (it must have fences: PostgreSQL). */
  storage: () => Storage;
  /** Shown in the node's key (`yparty:node:{advertise}`). */
  version?: string;
}

export interface Cluster {
  readonly placement: ClusterPlacement;
  /** Every room of the cluster with its node; `local` is this node's own listing, `fetchLive` asks another node. */
  list(local: RoomListing[], fetchLive: FetchLive): Promise<ClusterListing>;
  /** The node serving a room now, if any. Both reject with a 503 `RuntimeError` when Redis cannot be reached. */
  ownerOf(party: string, roomId: string): Promise<string | undefined>;
  /** Stops renewing, releases what is left and leaves Redis (after the server closed: its rooms released theirs). */
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { logger, leaseTtlMs, advertise } = options;
  const redis = await connectRedis(options.redis, leaseTtlMs, logger);
  let placement: ClusterPlacement | undefined;
  const leases = new Leases(redis, advertise, leaseTtlMs, { lost: (name) => placement?.lost(name), retaken: (name) => void placement?.retaken(name) }, logger, {
    started: new Date().toISOString(),
    pid: process.pid,
    ...(options.version ? { version: options.version } : {}),
  });
  const forwarder = new Forwarder(options.secret);
  placement = new ClusterPlacement({ leases, redis, forwarder, storage: options.storage, secret: options.secret, logger });
  try {
    await leases.start();
  } catch (error) {
    await redis.close();
    throw error;
  }
  // The leader's work (crons, stored alarms of rooms no node serves) is looked at once per TTL.
  const leader = setInterval(() => {
    placement.tick().catch((error: unknown) => logger.warn("cluster.tick_failed", { code: "ERR_CLUSTER_REDIS", error }));
  }, leaseTtlMs);
  leader.unref();
  logger.info("cluster.joined", { node: advertise, leaseTtlMs });
  return {
    placement,
    list: (local, fetchLive) =>
      listCluster(redis, advertise, local, fetchLive, (what, ask) => leases.question(what, ask)).catch((error: unknown) => {
        throw unavailable("Redis cannot be reached to list the cluster's rooms", error);
      }),
    ownerOf: (party, roomId) =>
      leases.holder(storageName(party, roomId)).catch((error: unknown) => {
        throw unavailable(`Redis cannot be reached to find who serves ${storageName(party, roomId)}`, error);
      }),
    async close() {
      clearInterval(leader);
      forwarder.close();
      await leases.stop();
      await redis.close();
    },
  };
}
