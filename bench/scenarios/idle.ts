/**
 * (3) Idle connections: clients join rooms round-robin in steps (e.g. 250 → 2000 over 100 rooms), each
 * doing the full sync handshake, then stay idle. RSS per connection = ΔRSS / Δconnections between the first
 * and last step; connects/s = connections / time spent connecting (open + handshake, bounded concurrency).
 */
import type { BenchClient } from "../client/bench-client.js";
import { closeAll, connectMany } from "../client/pool.js";
import { rssBytes } from "../proc.js";
import { pause } from "../timing.js";
import type { Metrics, Scenario } from "./types.js";

export const idle: Scenario = {
  id: "idle",
  title: "Idle connections",
  appliesTo: () => true,
  async run(target, profile) {
    const { rooms, steps, concurrency, settleMs } = profile.idle;
    const clients: BenchClient[] = [];
    const metrics: Metrics = { baselineRssMB: rssBytes(target.server.pid) / 2 ** 20 };
    let connectMs = 0;
    const rssAt: number[] = [];
    try {
      for (const step of steps) {
        const offset = clients.length;
        const started = performance.now();
        const batch = await connectMany(target, step - offset, concurrency, (i) => `idle-${(offset + i) % rooms}`);
        connectMs += performance.now() - started;
        clients.push(...batch);
        await pause(settleMs); // let post-connect work (timers, GC) finish before reading RSS
        rssAt.push(rssBytes(target.server.pid));
        metrics[`rssAt${step}MB`] = (rssAt.at(-1) as number) / 2 ** 20;
      }
      const first = steps[0] as number;
      const last = steps.at(-1) as number;
      metrics.rssPerConnKB = ((rssAt.at(-1) as number) - (rssAt[0] as number)) / (last - first) / 1024;
      metrics.connectsPerSec = (clients.length * 1000) / connectMs;
      return metrics;
    } finally {
      await closeAll(clients);
    }
  },
};
