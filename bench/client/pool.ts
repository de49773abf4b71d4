/** Connecting and closing many clients with a bounded number in flight (the harness shares 2 cores). */
import type { Target } from "../target.js";
import { BenchClient, type ClientOptions } from "./bench-client.js";

/** Runs `task(i)` for i in [0, count) with at most `concurrency` at once; results in index order. */
export async function mapLimited<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

/** Connects `count` clients; client i joins `roomOf(i)` with `optionsOf(i)`. */
export function connectMany(
  target: Target,
  count: number,
  concurrency: number,
  roomOf: (index: number) => string,
  optionsOf: (index: number) => ClientOptions = () => ({}),
): Promise<BenchClient[]> {
  return mapLimited(count, concurrency, (index) => BenchClient.connect(target.framing, target.server.port, roomOf(index), optionsOf(index)));
}

/** Closes every client (bounded concurrency; a client that does not close in time is terminated). */
export async function closeAll(clients: readonly BenchClient[], concurrency = 100): Promise<void> {
  await mapLimited(clients.length, concurrency, (index) => (clients[index] as BenchClient).close());
}
