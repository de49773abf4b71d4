/**
 * `yparty list` for a cluster: every room stored or live anywhere, each with `node`, the advertise address of the node
 * holding its lease (null when no node serves it). Rooms come from this node's listing (stored rooms are shared) and
 * the leases; connections from each node's own answer (`local` listing, asked in parallel with a timeout). A node that
 * does not answer is reported, its rooms still listed from their leases with `connections: null`.
 */
import { parseStorageName, roomRow, storageName, type RoomListing } from "../runtime/index.js";
import { KEY_PREFIX } from "./leases.js";
import type { RedisLink } from "./redis.js";

export interface ClusterRoomRow extends Omit<RoomListing, "connections"> {
  /** Open connections now; null when the node serving it did not answer. */
  connections: number | null;
  node: string | null;
}

export interface ClusterListing {
  rooms: ClusterRoomRow[];
  /** Nodes that did not answer in time. */
  unreachable: string[];
}

/** One node's live rooms (its `local` listing); rejects when it does not answer. */
export type FetchLive = (node: string) => Promise<Array<{ party: string; id: string; connections: number }>>;

/**
 * `question` asks Redis's reads (Leases.question: waited for at most the lease's validity, refused at once while Redis
 * is silent), or a partition would hold the listing as long as it lasts.
 */
export async function listCluster(
  redis: RedisLink,
  self: string,
  local: RoomListing[],
  fetchLive: FetchLive,
  question: <T>(what: string, ask: () => Promise<T>) => Promise<T>,
): Promise<ClusterListing> {
  const leasePrefix = `${KEY_PREFIX}lease:`;
  const nodePrefix = `${KEY_PREFIX}node:`;
  const read = async () => {
    const [leaseKeys, nodeKeys] = await Promise.all([redis.scan(`${leasePrefix}*`), redis.scan(`${nodePrefix}*`)]);
    return { nodeKeys, holders: await holdersOf(redis, leaseKeys, leasePrefix) };
  };
  const { nodeKeys, holders } = await question("the listing's read of the leases", read);
  const others = nodeKeys.map((key) => key.slice(nodePrefix.length)).filter((node) => node !== self);
  const answers = await Promise.all(
    others.map((node) =>
      fetchLive(node).then(
        (rooms) => ({ node, rooms }),
        () => ({ node, rooms: undefined }),
      ),
    ),
  );
  const unreachable = answers.filter((answer) => !answer.rooms).map((answer) => answer.node);
  const connections = new Map<string, number>();
  for (const { rooms } of answers) for (const room of rooms ?? []) connections.set(storageName(room.party, room.id), room.connections);

  const rows = new Map<string, ClusterRoomRow>();
  for (const room of local) rows.set(storageName(room.party, room.id), { ...room, node: null });
  for (const [name, node] of holders) {
    const ref = parseStorageName(name);
    if (!ref) continue; // the leader's lease, not a room
    const row = rows.get(name) ?? { ...roomRow(ref.party, ref.roomId), node };
    const count = node === self ? row.connections : unreachable.includes(node) ? null : (connections.get(name) ?? 0);
    rows.set(name, { ...row, node, connections: count });
  }
  const sorted = [...rows.values()].sort((a, b) => a.party.localeCompare(b.party) || a.id.localeCompare(b.id));
  return { rooms: sorted, unreachable };
}

async function holdersOf(redis: RedisLink, keys: string[], prefix: string): Promise<Map<string, string>> {
  const holders = new Map<string, string>();
  if (keys.length === 0) return holders;
  const values = await redis.send<Array<string | null>>(["MGET", ...keys]);
  keys.forEach((key, i) => {
    const value = values[i];
    if (value) holders.set(key.slice(prefix.length), value.split(" ")[0]!);
  });
  return holders;
}
