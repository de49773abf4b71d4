/**
 * (1) Fan-out: rooms × clients, every client one small insert every interval for a fixed time. Latency is
 * send → receipt at every other client of the room: each insert's text carries `~sender.seq~`, which
 * survives any re-encoding of the update by the server, and the send time is kept in the harness.
 *
 * Two variants: `fanout` with light clients (inserts encoded directly, receivers read bytes), and `fanoutDocs`
 * with clients that keep a real Y.Doc each, as editors do: every insert is typed into it at the end of the room's
 * whole text (so it names another client's item as its origin, as concurrent typists' inserts do), and every
 * update received is applied. The server's Yjs work is then that of a real room, not of 10 disjoint typists.
 */
import * as Y from "yjs";
import { AppendTypist } from "../client/append-updates.js";
import type { BenchClient } from "../client/bench-client.js";
import { closeAll, connectMany } from "../client/pool.js";
import { cpuPercentSince, cpuSplit, writeCalls } from "../proc.js";
import { quantile } from "../stats.js";
import { TEXT_NAME } from "../limits.js";
import { pollUntil } from "../timing.js";
import type { BenchProfile } from "../limits.js";
import type { Target } from "../target.js";
import type { Metrics, Scenario } from "./types.js";

const MARK = /~(\d+)\.(\d+)~/g;
const CONNECT_CONCURRENCY = 20;

/** Makes the update of one insert marked `mark`, for client `index`. */
type Typist = (mark: string) => Uint8Array;

/** Light typist: the bytes Yjs would emit for appending to the client's own text, without a Y.Doc. */
const appendTypist = (index: number): Typist => {
  const typist = new AppendTypist(index + 1);
  return (mark) => typist.next(mark);
};

/** Real typist: inserts at the end of the document's text as it is now, and hands over what Yjs emitted. */
const docTypist = (doc: Y.Doc): Typist => {
  const text = doc.getText(TEXT_NAME);
  return (mark) => {
    let update: Uint8Array | undefined;
    const keep = (emitted: Uint8Array): void => void (update = emitted);
    doc.on("update", keep);
    text.insert(text.length, mark);
    doc.off("update", keep);
    return update as Uint8Array;
  };
};

function fanoutScenario(id: string, title: string, withDocs: boolean): Scenario {
  return { id, title, appliesTo: () => true, run: (target, profile) => runFanout(target, profile, withDocs) };
}

export const fanout = fanoutScenario("fanout", "Fan-out latency", false);
export const fanoutDocs = fanoutScenario("fanoutDocs", "Fan-out latency, clients with Y.Docs", true);

async function runFanout(target: Target, profile: BenchProfile, withDocs: boolean): Promise<Metrics> {
  const { rooms, clientsPerRoom, intervalMs, durationMs, drainMs } = profile.fanout;
  const count = rooms * clientsPerRoom;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const onReceive = (receiver: number) => (update: Uint8Array) => {
    const now = performance.now();
    for (const match of Buffer.from(update.buffer, update.byteOffset, update.byteLength).toString("latin1").matchAll(MARK)) {
      if (Number(match[1]) === receiver) continue; // a server may echo the sender's own update
      const at = sentAt.get(`${match[1]}.${match[2]}`);
      if (at !== undefined) latencies.push(now - at);
    }
  };
  const docs = Array.from({ length: count }, () => (withDocs ? new Y.Doc() : undefined));
  const clients = await connectMany(
    target,
    count,
    CONNECT_CONCURRENCY,
    (i) => `fanout-${i % rooms}`,
    (i) => ({ onUpdate: onReceive(i), ...(docs[i] ? { doc: docs[i] } : {}) }),
  );
  const typists = docs.map((doc, i) => (doc ? docTypist(doc) : appendTypist(i)));
  try {
    const sendsPerClient = Math.floor(durationMs / intervalMs);
    const cpuBefore = cpuSplit(target.server.pid);
    const writesBefore = writeCalls(target.server.pid);
    const harnessBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(clients.map((client, i) => typeOnSchedule(client, i, typists[i] as Typist, sendsPerClient, intervalMs, sentAt)));
    const wallMs = performance.now() - started;
    const cpuAfter = cpuSplit(target.server.pid);
    const percentOfWall = (seconds: number): number => (seconds * 1000 * 100) / wallMs;
    const expected = sentAt.size * (clientsPerRoom - 1);
    await pollUntil(() => latencies.length >= expected, drainMs);
    const writesAfter = writeCalls(target.server.pid);
    return {
      p50Ms: quantile(latencies, 0.5),
      p95Ms: quantile(latencies, 0.95),
      p99Ms: quantile(latencies, 0.99),
      serverCpuPercent: percentOfWall(cpuAfter.user - cpuBefore.user + cpuAfter.system - cpuBefore.system),
      // The split says whose cost it is: the kernel's share is the syscalls every server pays, the user share the work.
      serverUserCpuPercent: percentOfWall(cpuAfter.user - cpuBefore.user),
      serverSystemCpuPercent: percentOfWall(cpuAfter.system - cpuBefore.system),
      harnessCpuPercent: cpuPercentSince(harnessBefore, wallMs),
      lostPercent: (100 * (expected - latencies.length)) / expected,
      // Per update sent: what the server's sockets cost in syscalls (the relay's figure is the floor).
      writeCallsPerUpdate: (writesAfter.calls - writesBefore.calls) / sentAt.size,
      writeBytesPerUpdate: (writesAfter.bytes - writesBefore.bytes) / sentAt.size,
      receipts: latencies.length,
    } satisfies Metrics;
  } finally {
    await closeAll(clients);
  }
}

/** One client's sends: a random phase within the interval (so load is even), then one insert per interval. */
function typeOnSchedule(client: BenchClient, index: number, typist: Typist, sends: number, intervalMs: number, sentAt: Map<string, number>): Promise<void> {
  const firstAt = performance.now() + Math.random() * intervalMs;
  return new Promise((resolve) => {
    let seq = 0;
    const tick = (): void => {
      if (seq >= sends || !client.isOpen) return resolve();
      const update = typist(`~${index}.${seq}~`);
      sentAt.set(`${index}.${seq}`, performance.now());
      client.sendUpdate(update);
      seq++;
      // Scheduled against the start, so a late timer does not shift every later send.
      setTimeout(tick, Math.max(0, firstAt + seq * intervalMs - performance.now()));
    };
    setTimeout(tick, firstAt - performance.now());
  });
}
