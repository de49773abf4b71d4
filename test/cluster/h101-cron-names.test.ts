/**
 * PartyKit's `crons` takes any string as a cron's name (its config schema is `z.record(z.string())`), and so does
 * yparty. In a cluster each tick is claimed in a record keyed by the cron's name in PostgreSQL (cron-ticks.ts): a name
 * longer than PostgreSQL's largest index entry (2,704 bytes; the key is UTF-16) failed every claim, so that cron never
 * ran in a cluster, though it ran on one node. A name with NUL was said to fail too: it did not (the key is `bytea`),
 * and is checked here with the rest.
 */
import { afterEach, expect, test, vi } from "vitest";
import { PostgresStorage } from "../../persistence/index.js";
import { CronTicks, recordKey } from "../../src/cluster/cron-ticks.js";
import { LEADER_LEASE } from "../../src/cluster/placement.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { freshDatabase } from "../persistence/postgres-helpers.js";
import { cronRuns, startCluster, until, useCluster } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 120_000 });
const opened: PostgresStorage[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()));
});

const random = seededRandom(101);
const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/** 3,000 characters no compression shortens much: past PostgreSQL's largest index entry (2,704 bytes) in any encoding. */
const LONG = Array.from({ length: 3_000 }, () => letters[Math.floor(random() * letters.length)]).join("");
const NAMES = ["plain", "nightly\u0000report", LONG, `${LONG}!`];

test("crons named with NUL, or longer than an index entry, run once per scheduled time across two nodes", async () => {
  const cluster = await startCluster(2, { crons: Object.fromEntries(NAMES.map((name) => [name, "* * * * * *"])) });
  await until(async () => (await cluster.owner(LEADER_LEASE)) !== undefined, "a leader");
  const ranEach = async (count: number) => {
    const runs = await cronRuns(cluster);
    return NAMES.every((name) => runs.filter((run) => run.name === name).length >= count);
  };
  await until(() => ranEach(3), "three ticks of every cron", 30_000);

  const runs = await cronRuns(cluster);
  for (const name of NAMES) {
    const times = runs.filter((run) => run.name === name).map((run) => run.at);
    const label = JSON.stringify(name.slice(0, 20));
    expect(new Set(times).size, `ticks of ${label} run twice: ${times}`).toBe(times.length);
    const sorted = [...times].sort((a, b) => a - b);
    expect(sorted.at(-1)! - sorted[0]!, `ticks of ${label} missing: ${sorted}`).toBe((sorted.length - 1) * 1000);
  }
  for (const node of cluster.nodes) expect(node.output).not.toContain('"event":"cron.tick_skipped"');
});

/** A node's storage and its record of ticks, once it took the lead (claimed the record's fence). */
async function leader(url: string, owner: string): Promise<CronTicks> {
  const storage = await PostgresStorage.open({ url, mode: "cluster", owner, onWarning: () => undefined });
  opened.push(storage);
  await storage.claim(LEADER_LEASE, owner);
  return new CronTicks(() => storage, LEADER_LEASE);
}

/** The longest name keyed as it is (the key it always had): it still fits an index entry. */
const LONGEST_READABLE = LONG.slice(0, 1_300);
/** With two long names that differ only in a lone surrogate: two names in JavaScript, one in UTF-8. */
const ALL = [...NAMES, `${LONG}\uD800`, `${LONG}\uDC00`, LONGEST_READABLE];
const T = Date.UTC(2026, 11, 4, 12);

test("the record: each name's tick is claimed once, in a record of its own, and the next leader reads it", async () => {
  const { url } = await freshDatabase();
  const a = await leader(url, "node-a");
  for (const name of ALL) expect(await a.claim(name, T), name.slice(-12)).toBe(true);
  for (const name of ALL) expect(await a.claim(name, T)).toBe(false);

  const b = await leader(url, "node-b");
  for (const name of ALL) expect(await b.claim(name, T)).toBe(false);
  for (const name of ALL) expect(await b.claim(name, T + 1_000)).toBe(true);
  await expect(a.claim(LONG, T + 2_000)).rejects.toMatchObject({ code: "ERR_FENCED" });
});

test("short names keep their readable key; long ones are keyed by their digest and start", () => {
  expect(recordKey("nightly")).toBe("last/nightly");
  expect(recordKey(LONGEST_READABLE)).toBe(`last/${LONGEST_READABLE}`);
  expect(recordKey(LONG)).toMatch(new RegExp(`^sha256/[0-9a-f]{64}/${LONG.slice(0, 64)}$`));
  expect(new Set(ALL.map(recordKey)).size).toBe(ALL.length);
});
