/**
 * The TCP proxy the cluster tests put between one node and an engine (test/cluster/network.ts): a partition holds
 * requests without telling either side, heal() delivers them, reset() drops connections and the clients come back.
 */
import { createClient } from "@redis/client";
import pg from "pg";
import { afterEach, expect, test } from "vitest";
import { startPostgres, startRedis, stopAllEngines } from "../helpers/engines.js";
import { waitFor } from "../helpers/server.js";
import { closeAllProxies, startTcpProxy } from "./network.js";

afterEach(async () => {
  await closeAllProxies();
  await stopAllEngines();
});

/** Tracks whether a promise has settled, without waiting for it. */
function settled<T>(promise: Promise<T>): { readonly done: boolean; promise: Promise<T> } {
  const state = { done: false, promise };
  promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}

test("Redis through the proxy: a partition holds a command until heal(); a reset is survived by the client's reconnect", async () => {
  const redis = await startRedis();
  const proxy = await startTcpProxy(redis.port);
  const client = createClient({ url: `redis://127.0.0.1:${proxy.port}`, socket: { reconnectStrategy: () => 100 } });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.set("lease:a", "node-1");

    proxy.partition();
    const get = settled(client.get("lease:a"));
    await waitFor(proxy.whenHeld(1), "the GET to reach the partition");
    // Held in the proxy, so Redis has not seen it and cannot have answered.
    expect(get.done).toBe(false);
    proxy.heal();
    expect(await get.promise).toBe("node-1");
    expect(proxy.heldBytes).toBe(0);

    const readyAgain = new Promise((resolve) => client.once("ready", resolve));
    proxy.reset();
    await waitFor(readyAgain, "the Redis client to reconnect after its connection was reset");
    expect(await client.get("lease:a")).toBe("node-1"); // Redis itself kept running
  } finally {
    client.destroy();
  }
});

test("PostgreSQL through the proxy: a partition holds a query until heal(); after a reset the pool's next query works", async () => {
  const postgres = await startPostgres();
  const proxy = await startTcpProxy(postgres.port);
  const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${proxy.port}/yparty`, max: 1 });
  const poolErrors: Error[] = [];
  pool.on("error", (error) => poolErrors.push(error));
  try {
    await pool.query("CREATE TABLE rooms (name text PRIMARY KEY, fence bigint NOT NULL)");

    proxy.partition();
    const insert = settled(pool.query("INSERT INTO rooms VALUES ('a', 1)"));
    await waitFor(proxy.whenHeld(1), "the INSERT to reach the partition");
    expect(insert.done).toBe(false);
    proxy.heal();
    await insert.promise;

    const lost = new Promise((resolve) => pool.once("error", resolve));
    proxy.reset();
    await waitFor(lost, "the pool to notice its idle connection was reset");
    expect((await pool.query("SELECT fence FROM rooms WHERE name = 'a'")).rows).toEqual([{ fence: "1" }]);
    expect(poolErrors).toHaveLength(1);
  } finally {
    await pool.end();
  }
});
