/**
 * `node --import tsx bench/hot-path.ts [relay|apply|memory|leveldb|leveldb-strict|all, or a,b] [--updates=N] [--rate=N] [--commit-interval-ms=N] [--rounds=N] [--framed]`: the server's own CPU per
 * fan-out update, without sockets. The fan-out scenario's load (10 rooms × 10 connections, 500 updates/s, each
 * update alone in its turn of the event loop) is fed to `DocumentSession`s whose connections only count what they are sent, so what is
 * measured is decode, check, apply, encode, the store and the bookkeeping: what yparty spends beyond the relay, which
 * pays the syscalls too. A loaded machine lengthens wall times, much less the CPU time of a fixed amount of work, so
 * this figure compares two versions of the code where `npm run bench`'s percentages cannot.
 *
 * `relay` hands each frame to the other connections as it came: the floor of the loop itself.
 * Prints µs of process CPU per update (all threads: LevelDB's writes and fsyncs included), of the main thread's
 * event-loop busy time, and how long after its receipt an update was handed to the other connections (a connection
 * of each room that never sends watches: with strict durability, the wait for the store), medians (and the least, the figure other work on the machine disturbs least) of 3 rounds of
 * 1,500 updates (3 s each) after one to warm up. `--framed`: the room's connections are the runtime's, over sockets that
 * take every write (framed-connection.ts), so the runtime's send path (the frame, the write, the send budget) counts too.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openStorage, type Storage } from "../persistence/index.js";
import { decodeMessage, encodeUpdate } from "../src/protocol/index.js";
import { createLogger } from "../src/runtime/log.js";
import { DocumentSession } from "../src/yjs/session.js";
import { CountingConnection } from "./counting-connection.js";
import { framedConnection } from "./framed-connection.js";
import * as Y from "yjs";
import { AppendTypist } from "./client/append-updates.js";
import { median, quantile } from "./stats.js";

const ROOMS = 10;
const CLIENTS_PER_ROOM = 10;
const roundsArg = process.argv.find((arg) => arg.startsWith("--rounds="));
const ROUNDS = roundsArg ? Number(roundsArg.slice("--rounds=".length)) : 3;
/**
 * The fan-out scenario's rate by default: 100 clients × 5 updates/s, at which each update is its own store batch.
 * `--rate=0`: as fast as the loop goes (still one update per turn), for profiling the per-update work alone.
 */
const rateArg = process.argv.find((arg) => arg.startsWith("--rate="));
const UPDATES_PER_SECOND = rateArg ? Number(rateArg.slice("--rate=".length)) : 500;
const updatesArg = process.argv.find((arg) => arg.startsWith("--updates="));
const UPDATES = updatesArg ? Number(updatesArg.slice("--updates=".length)) : 1_500;
const commitArg = process.argv.find((arg) => arg.startsWith("--commit-interval-ms="));
const COMMIT_INTERVAL_MS = commitArg ? Number(commitArg.slice("--commit-interval-ms=".length)) : undefined;
const FRAMED = process.argv.includes("--framed");

/**
 * `relay`: the frame handed to the room's other connections as it came, the floor of this loop. `apply`: the same after
 * it is decoded and applied to a plain `Y.Doc` per room, as the bench's `relay-apply` server does: the least a server
 * that validates before it relays can do, so `memory` against it is yparty's own work.
 */
type Variant = "relay" | "apply" | "memory" | "leveldb" | "leveldb-strict";

/** A connection of the room that never sends: how long after its receipt each update reached it (updates go in order). */
class ObservingConnection extends CountingConnection {
  readonly receivedAt: number[] = [];
  readonly latencies: number[] = [];
  override send(data: Uint8Array | string): void {
    super.send(data);
    if (typeof data !== "string" && data[0] === 0 && data[1] === 2) this.latencies.push(performance.now() - this.receivedAt.shift()!);
  }
}

function updateOf(frame: Uint8Array): Uint8Array {
  const message = decodeMessage(frame);
  if (message.type !== "update") throw new Error("not an update frame");
  return message.update;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const until = (at: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - performance.now())));

interface Measured {
  cpuUs: number;
  minCpuUs: number;
  busyUs: number;
  /** Receipt → the frame handed to the others (with strict durability: once stored), over every measured round. */
  visibleMs: { p50: number; p99: number };
}

async function measure(variant: Variant): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), "yparty-hot-path-"));
  const storage: Storage =
    variant === "memory"
      ? await openStorage({ memory: true })
      : await openStorage({ dir, ...(COMMIT_INTERVAL_MS === undefined ? {} : { commitIntervalMs: COMMIT_INTERVAL_MS }) });
  const logger = createLogger({ level: "error" });
  const rooms = Array.from({ length: ROOMS }, (_, r) => {
    const session = new DocumentSession({
      room: `room-${r}`,
      gc: true,
      durability: variant === "leveldb-strict" ? "strict" : "fast",
      persistence: { store: storage.docs, name: `main/room-${r}`, policy: { mode: "snapshot" } },
      logger,
    });
    const conns = Array.from({ length: CLIENTS_PER_ROOM }, (_, c) => (FRAMED ? framedConnection(`${r}.${c}`) : new CountingConnection(`${r}.${c}`)));
    const observer = new ObservingConnection(`${r}.observer`);
    for (const conn of [...conns, observer]) session.attach(conn);
    const typists = conns.map((_, c) => new AppendTypist(r * CLIENTS_PER_ROOM + c + 1));
    return { session, conns, observer, typists, doc: new Y.Doc() };
  });
  await Promise.all(rooms.map((room) => room.session.load()));
  let sent = 0;
  const sendOne = (): void => {
    const room = rooms[sent % ROOMS]!;
    const client = Math.floor(sent / ROOMS) % CLIENTS_PER_ROOM;
    const frame = encodeUpdate(room.typists[client]!.next(`~${sent}~`));
    room.observer.receivedAt.push(performance.now());
    if (variant === "apply") Y.applyUpdate(room.doc, updateOf(frame));
    if (variant !== "relay" && variant !== "apply") room.session.receive(room.conns[client]!, frame);
    else for (const [c, conn] of [...room.conns, room.observer].entries()) if (c !== client) conn.send(frame);
    sent++;
  };
  const cpu: number[] = [];
  const busy: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const cpuBefore = process.cpuUsage();
    const loopBefore = performance.eventLoopUtilization();
    const start = performance.now();
    for (let i = 0; i < UPDATES; i++) {
      sendOne();
      await (UPDATES_PER_SECOND > 0 ? until(start + ((i + 1) * 1000) / UPDATES_PER_SECOND) : nextTurn());
    }
    await Promise.all(rooms.map((room) => room.session.whenDurable()));
    const used = process.cpuUsage(cpuBefore);
    const loop = performance.eventLoopUtilization(loopBefore);
    if (round === 0) {
      for (const room of rooms) room.observer.latencies.length = 0; // warm-up
      continue;
    }
    cpu.push((used.user + used.system) / UPDATES);
    busy.push((loop.active * 1000) / UPDATES);
  }
  await Promise.all(rooms.map((room) => room.session.stop()));
  await storage.close();
  await rm(dir, { recursive: true, force: true });
  const latencies = rooms.flatMap((room) => room.observer.latencies);
  return { cpuUs: median(cpu), minCpuUs: Math.min(...cpu), busyUs: median(busy), visibleMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) } };
}

const which = process.argv[2] ?? "all";
const variants: Variant[] = which === "all" ? ["relay", "apply", "memory", "leveldb", "leveldb-strict"] : (which.split(",") as Variant[]);
for (const variant of variants) {
  const { cpuUs, minCpuUs, busyUs, visibleMs } = await measure(variant);
  const us = (value: number): string => value.toFixed(1).padStart(7);
  const ms = (value: number): string => value.toFixed(2).padStart(6);
  console.log(
    `${variant.padEnd(15)} CPU per update ${us(cpuUs)} µs (least ${us(minCpuUs)} µs), main thread busy ${us(busyUs)} µs, ` +
      `receipt → sent to the others p50 ${ms(visibleMs.p50)} ms, p99 ${ms(visibleMs.p99)} ms`,
  );
}
