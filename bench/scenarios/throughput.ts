/**
 * (2) Throughput ceiling: one room, one sender typing as fast as its socket drains (it tops its send
 * buffer up to a high-water mark, then yields), one receiver counting updates over a fixed window after a
 * warm-up. Updates are generated without a Y.Doc (~1 µs each), so the harness never sets the ceiling.
 *
 * The receiver counts the sender's updates that reached it, not frames: each update appends one character,
 * so the sender's clock in what arrives says how many of its updates are in (a server may deliver a burst
 * of updates merged into one update, as Yjs merges a transaction; one that forwards every frame as it came
 * delivers one update per frame and counts the same either way). Frames per second are reported beside it.
 */
import * as Y from "yjs";
import { AppendTypist } from "../client/append-updates.js";
import { BenchClient } from "../client/bench-client.js";
import { cpuPercentSince, cpuSeconds } from "../proc.js";
import { pause } from "../timing.js";
import type { Metrics, Scenario } from "./types.js";

const ROOM = "throughput";
/** Sends per turn of the event loop, so the receiver (same process) gets its turn too. */
const SENDS_PER_TURN = 500;

export const throughput: Scenario = {
  id: "throughput",
  title: "Throughput ceiling",
  appliesTo: () => true,
  async run(target, profile) {
    const { warmupMs, windowMs, highWaterBytes, maxUpdates } = profile.throughput;
    let received = 0;
    let frames = 0;
    const onUpdate = (update: Uint8Array): void => {
      frames++;
      // The sender is the only writer: the end of its clock range is the number of its updates delivered.
      for (const clock of Y.parseUpdateMeta(update).to.values()) if (clock > received) received = clock;
    };
    const receiver = await BenchClient.connect(target.framing, target.server.port, ROOM, { onUpdate });
    const sender = await BenchClient.connect(target.framing, target.server.port, ROOM);
    const typist = new AppendTypist(1);
    let sent = 0;
    let stopped = false;
    const pump = (): void => {
      if (stopped || !sender.isOpen) return;
      let turn = 0;
      while (turn < SENDS_PER_TURN && sent < maxUpdates && sender.bufferedAmount < highWaterBytes) {
        sender.sendUpdate(typist.next("x"));
        sent++;
        turn++;
      }
      // A full buffer waits for a timer tick (the socket drains meanwhile); otherwise go again at once.
      if (turn === SENDS_PER_TURN) setImmediate(pump);
      else setTimeout(pump, 1);
    };
    try {
      pump();
      await pause(warmupMs);
      const countBefore = received;
      const framesBefore = frames;
      const cpuBefore = cpuSeconds(target.server.pid);
      const harnessBefore = process.cpuUsage();
      const started = performance.now();
      await pause(windowMs);
      const elapsedMs = performance.now() - started;
      const updates = received - countBefore;
      return {
        updatesPerSec: (updates * 1000) / elapsedMs,
        framesPerSec: ((frames - framesBefore) * 1000) / elapsedMs,
        serverCpuPercent: ((cpuSeconds(target.server.pid) - cpuBefore) * 1000 * 100) / elapsedMs,
        harnessCpuPercent: cpuPercentSince(harnessBefore, elapsedMs),
        sent,
      } satisfies Metrics;
    } finally {
      stopped = true;
      sender.terminate();
      receiver.terminate();
    }
  },
};
