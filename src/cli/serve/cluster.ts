/**
 * `yparty start --cluster redis://…`: joins the cluster before the server listens, and gives the admin API the
 * cluster's view. The admin token is the cluster's shared secret (every node must be started with the same one).
 */
import type { Storage } from "../../../persistence/types.js";
import type { Logger, RoomPlacement } from "../../runtime/index.js";
import type { ClusterAdmin } from "../admin/handler.js";
import type { ClusterSettings } from "../config/cluster.js";
import { CliError } from "../errors.js";
import { packageVersion } from "../version.js";

export interface JoinedCluster {
  placement: RoomPlacement;
  admin: ClusterAdmin;
  close(): Promise<void>;
}

export async function joinCluster(settings: ClusterSettings, token: string | undefined, logger: Logger, storage: () => Storage): Promise<JoinedCluster> {
  if (token === undefined) {
    throw new CliError(
      "ERR_USAGE",
      "A cluster node needs --admin-token (or $YPARTY_ADMIN_TOKEN), the same on every node: it is the secret the nodes forward requests with.",
    );
  }
  // Loaded only by a cluster node: a single server never loads the Redis client.
  const { startCluster } = await import("../../cluster/index.js");
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  try {
    cluster = await startCluster({ ...settings, secret: token, logger, storage, version: packageVersion() });
  } catch (error) {
    const { redact } = await import("../../cluster/redis.js");
    throw new CliError("ERR_LISTEN", `Could not join the cluster through Redis at ${redact(settings.redis)}: ${(error as Error).message}`);
  }
  return {
    placement: cluster.placement,
    admin: {
      advertise: settings.advertise,
      list: (local, fetchLive) => cluster.list(local, fetchLive),
      ownerOf: (party, id) => cluster.ownerOf(party, id),
      whileClaimed: (party, id, fn) => cluster.placement.whileClaimed(party, id, fn),
    },
    close: () => cluster.close(),
  };
}
