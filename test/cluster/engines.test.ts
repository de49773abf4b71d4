/**
 * The throwaway engines the cluster tests run on (test/helpers/engines.ts), with the clients yparty uses:
 * @redis/client (node-redis) and pg's Pool. Each engine answers, restarts on its port, and the clients come back
 * by themselves; stopping leaves no process and no folder behind.
 */
import { existsSync } from "node:fs";
import { createClient } from "@redis/client";
import pg from "pg";
import { afterEach, expect, test } from "vitest";
import { isRunning, processTree, startPostgres, startRedis, stopAllEngines } from "../helpers/engines.js";
import { waitFor } from "../helpers/server.js";

const RECONNECT_WAIT_MS = 10_000;

afterEach(stopAllEngines);

test("Redis: SET NX with PX and GET; restarts come back empty on the same URL and the client reconnects by itself", async () => {
  const redis = await startRedis();
  // The options docs/design/cluster.md gives the lease client: fail fast while offline, reconnect quickly.
  const client = createClient({ url: redis.url, disableOfflineQueue: true, socket: { reconnectStrategy: () => 100 } });
  const errors: Error[] = [];
  client.on("error", (error: Error) => errors.push(error));
  await client.connect();
  const claim = (node: string) => client.set("lease:a", node, { condition: "NX", expiration: { type: "PX", value: 60_000 } });
  try {
    expect(await claim("node-1")).toBe("OK");
    expect(await claim("node-2")).toBeNull();
    expect(await client.get("lease:a")).toBe("node-1");
    const ttl = await client.pTTL("lease:a");
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);

    for (const how of ["graceful", "crash"] as const) {
      const serverPid = redis.pid;
      const errorsBefore = errors.length;
      // Not events.once: it would reject on the "error" the lost connection emits first.
      const readyAgain = new Promise((resolve) => client.once("ready", resolve));
      await redis.restart(how);
      expect(redis.pid).not.toBe(serverPid);
      expect(isRunning(serverPid)).toBe(false);
      await waitFor(readyAgain, `the Redis client to reconnect after a ${how} restart`, RECONNECT_WAIT_MS);
      expect(errors.length).toBeGreaterThan(errorsBefore); // the lost connection was reported, not hidden

      expect(await client.get("lease:a")).toBeNull(); // Redis came back empty: the lease is gone
      expect(await claim(`after-${how}`)).toBe("OK");
      expect(await client.get("lease:a")).toBe(`after-${how}`);
    }
  } finally {
    client.destroy();
  }

  const pid = redis.pid;
  await redis.cleanup();
  expect(isRunning(pid)).toBe(false);
  expect(existsSync(redis.dir)).toBe(false);
});

test("PostgreSQL: CREATE TABLE, INSERT, SELECT; committed rows survive a graceful and a crash restart and the pool reconnects by itself", async () => {
  const postgres = await startPostgres();
  expect(postgres.url).toBe(`postgres://postgres@127.0.0.1:${postgres.port}/yparty`);
  const pool = new pg.Pool({ connectionString: postgres.url, max: 2 });
  const poolErrors: Error[] = [];
  pool.on("error", (error) => poolErrors.push(error));
  try {
    await pool.query("CREATE TABLE rooms (name text PRIMARY KEY, fence bigint NOT NULL)");
    await pool.query("INSERT INTO rooms (name, fence) VALUES ($1, $2)", ["a", 1]);
    expect((await pool.query("SELECT name, fence FROM rooms")).rows).toEqual([{ name: "a", fence: "1" }]);

    for (const how of ["graceful", "crash"] as const) {
      const serverProcesses = await processTree(postgres.pid);
      expect(serverProcesses.length).toBeGreaterThan(1); // the postmaster and its workers, our connection's backend
      await postgres.restart(how);
      expect(serverProcesses.filter(isRunning)).toEqual([]);
      // The pool's idle connection died with the server; the next query opens a new one, no retry needed.
      await pool.query("UPDATE rooms SET fence = fence + 1 WHERE name = $1", ["a"]);
    }
    expect(poolErrors).toHaveLength(2); // each lost connection was reported once, not hidden
    expect((poolErrors[0] as Error & { code?: string }).code).toBe("57P01"); // admin_shutdown
    expect((await pool.query("SELECT fence FROM rooms WHERE name = 'a'")).rows).toEqual([{ fence: "3" }]);
  } finally {
    await pool.end();
  }

  const serverProcesses = await processTree(postgres.pid);
  await postgres.cleanup();
  expect(serverProcesses.filter(isRunning)).toEqual([]);
  expect(existsSync(postgres.dir)).toBe(false);
});
