/**
 * The cluster settings (`--cluster`, `--advertise`, `--lease-ttl`, or `cluster` in yparty.json; docs/cluster.md),
 * checked together: a cluster needs an advertise address and PostgreSQL storage, since every node must read what
 * the others wrote.
 */
import { CliDefaults } from "../defaults.js";
import type { Report } from "./problems.js";
import type { ConfigFile } from "./schema.js";

export interface ClusterFlags {
  cluster?: string;
  advertise?: string;
  /** Seconds, as typed. */
  leaseTtl?: string;
}

export interface ClusterSettings {
  /** `redis://…` */
  redis: string;
  /** This node's address for the other nodes: `http://HOST:PORT`. */
  advertise: string;
  leaseTtlMs: number;
}

/** The settings, or undefined without `--cluster`; `storage` says where the data lives (for the message). */
export function clusterSettings(
  flags: ClusterFlags,
  file: ConfigFile,
  storage: { postgres: boolean; where: string },
  fromFile: Report,
  fromFlags: Report,
): ClusterSettings | undefined {
  const fileCluster = file.cluster ?? {};
  // Each setting, and where a problem with it is reported: the flag that gave it, else the config's field.
  const setting = <T>(flag: string, given: T | undefined, field: string, fromConfig: T | undefined) =>
    given !== undefined
      ? { value: given, problem: (message: string) => fromFlags(flag, message) }
      : { value: fromConfig, problem: (message: string) => fromFile(`cluster.${field}`, message) };
  const redis = setting("--cluster", flags.cluster, "redis", fileCluster.redis);
  const advertise = setting("--advertise", flags.advertise, "advertise", fileCluster.advertise);
  const leaseTtl = setting("--lease-ttl", flags.leaseTtl === undefined ? undefined : Number(flags.leaseTtl), "leaseTtl", fileCluster.leaseTtl);
  if (redis.value === undefined) {
    if (flags.advertise !== undefined || flags.leaseTtl !== undefined) fromFlags("--advertise", "--advertise and --lease-ttl need --cluster redis://…");
    return undefined;
  }
  if (!/^rediss?:\/\//.test(redis.value)) redis.problem(`expected a redis:// URL, got "${redis.value}"`);
  if (advertise.value === undefined) fromFlags("--advertise", "a cluster node needs --advertise http://HOST:PORT: the address the other nodes reach it at");
  else if (!isHttpOrigin(advertise.value)) advertise.problem(`expected http://HOST:PORT, got "${advertise.value}"`);
  if (leaseTtl.value !== undefined && !(Number.isFinite(leaseTtl.value) && leaseTtl.value > 0)) {
    leaseTtl.problem(`expected a number of seconds above 0, got "${flags.leaseTtl ?? leaseTtl.value}"`);
  }
  if (!storage.postgres) {
    fromFlags("--store", `a cluster needs --store postgres://… (the data is now ${storage.where}): every node must read what the others wrote`);
  }
  return {
    redis: redis.value,
    advertise: (advertise.value ?? "").replace(/\/+$/, ""),
    leaseTtlMs: Math.round((leaseTtl.value ?? CliDefaults.leaseTtlSeconds) * 1000),
  };
}

function isHttpOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" && url.pathname.replace(/\/+$/, "") === "" && url.search === "";
  } catch {
    return false;
  }
}
