/**
 * `node --import tsx bench/apply-breakdown.ts [fanout|clownschool] [--updates=N] [--rounds=N] [--history=N] [--only=a,b] [--turns] [--cpu-prof]`:
 * what yparty adds around `Y.applyUpdate`, per update, in process. One stream of real updates is fed, one update per
 * microtask, to:
 *
 * - `bare`: `Y.applyUpdate` on a plain `Y.Doc` (no listener: Yjs encodes nothing);
 * - `bare+update`: the same with an `update` listener (Yjs encodes every transaction again, as y-websocket's does);
 * - `burst`: yparty's `applyBurst` on the room's `SharedDoc` (the checks' walk, the concurrent-insert check, the
 *   transaction), without a session;
 * - `session`: `DocumentSession.receive` of the frame on the memory store, 10 connections per room that only count
 *   what they are sent (no durable acks, as in the fan-out scenario): decode, burst, checks, apply, the broadcast,
 *   the append;
 * - `session-nostore`: the same without persistence.
 *
 * Streams: `fanout` (the fan-out scenario's: 10 rooms × 10 typists appending to their own text, round robin) or a
 * concurrent editing trace (`clownschool`: several users typing at once, replayed by real Yjs editors; one room).
 * Every round starts from fresh documents; the variants run alternately, their order rotated per round; round 0
 * warms up. Prints, per variant, µs of process CPU per update (median and least of the rounds) and bytes allocated
 * per update (heap growth plus what each GC freed), and each against `bare`. `--cpu-prof`: then each variant again
 * in a child under V8's sampling profiler (50 µs), its measured rounds only; prints µs per update by function (self
 * time), and `session` minus `bare`.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GCProfiler, getHeapStatistics } from "node:v8";
import * as Y from "yjs";
import { openStorage, type Storage } from "../persistence/index.js";
import { encodeUpdate } from "../src/protocol/index.js";
import { createLogger } from "../src/runtime/log.js";
import { applyBurst } from "../src/yjs/burst.js";
import { MAX_TYPE_DEPTH, YJS_LIMITS } from "../src/yjs/defaults.js";
import { CountingConnection } from "./counting-connection.js";
import { DocumentSession } from "../src/yjs/session.js";
import { SharedDoc } from "../src/yjs/shared-doc.js";
import { concurrentTraceUpdates } from "../test/yjs/support/concurrent-trace.js";
import { AppendTypist } from "./client/append-updates.js";
import { TEXT_NAME } from "./limits.js";
import { profileWindow } from "./profile-window.js";
import { median } from "./stats.js";

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const STREAM = process.argv[2]?.startsWith("--") === false ? process.argv[2] : "fanout";
const UPDATES = Number(arg("updates") ?? 4_000);
const ROUNDS = Number(arg("rounds") ?? 5);
const PROFILE = process.argv.includes("--cpu-prof");
const ROOMS = STREAM === "fanout" ? 10 : 1;
const CLIENTS_PER_ROOM = 10;
/**
 * `--history=N`: every room's document starts with the edits of N earlier clients (20 characters each, typed into
 * the text at random places): a long-lived document, which every editor session added a client to. The fan-out's
 * typists then append after its last character (each typist's first insert names it), as editors typing at the end.
 */
const HISTORY = Number(arg("history") ?? 0);
/** Updates fed before each round's count starts: the fan-out typists' first inserts. */
const FIRST = STREAM === "fanout" ? ROOMS * CLIENTS_PER_ROOM : 0;

type Variant = "bare" | "bare+update" | "burst" | "session" | "session-nostore";
const ALL: Variant[] = ["bare", "bare+update", "burst", "session", "session-nostore"];
const variants = (arg("only")?.split(",") as Variant[] | undefined) ?? ALL;

/** The stream: `[room, update]` in arrival order, the same bytes for every variant and round. */
function stream(last: { client: number; clock: number } | undefined): Array<[number, Uint8Array]> {
  if (STREAM === "fanout") {
    const typists = Array.from({ length: ROOMS * CLIENTS_PER_ROOM }, (_, i) => new AppendTypist(i + 1, TEXT_NAME, last));
    return Array.from({ length: UPDATES }, (_, sent) => {
      const room = sent % ROOMS;
      const client = Math.floor(sent / ROOMS) % CLIENTS_PER_ROOM;
      return [room, typists[room * CLIENTS_PER_ROOM + client]!.next(`~${sent}~`)];
    });
  }
  return concurrentTraceUpdates(STREAM, UPDATES).map((update) => [0, update]);
}

/** The starting document of `--history` (null without), as one update, and its text's last unit. */
function history(): { update: Uint8Array; last: { client: number; clock: number } } | null {
  if (HISTORY === 0) return null;
  const doc = new Y.Doc();
  const text = doc.getText(TEXT_NAME);
  let seed = 1;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (let client = 0; client < HISTORY; client++) {
    doc.clientID = 1_000_000 + client;
    for (let i = 0; i < 4; i++) text.insert(Math.floor(random() * (text.length + 1)), "hist.");
  }
  text.insert(text.length, "end.");
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return { update, last: { client: 1_000_000 + HISTORY - 1, clock: 4 * 5 + 3 } };
}

/** One variant's rooms, set up before the timed part: `feed(i)` hands it update `i` of the stream. */
interface Rig {
  feed(i: number): void;
  settle(): Promise<void>;
  close(): Promise<void>;
}

const limits = { maxStructs: YJS_LIMITS.maxUpdateStructs, structsPerTurn: YJS_LIMITS.structsPerTurn, maxTypeDepth: MAX_TYPE_DEPTH };
const logger = createLogger({ level: "error" });

async function rig(variant: Variant, updates: Array<[number, Uint8Array]>, frames: Uint8Array[], start: Uint8Array | null): Promise<Rig> {
  if (variant === "bare" || variant === "bare+update" || variant === "burst") {
    const docs = Array.from({ length: ROOMS }, (_, r) => (variant === "burst" ? new SharedDoc(`room-${r}`, true) : new Y.Doc()));
    if (start) for (const doc of docs) Y.applyUpdate(doc, start);
    let encoded = 0;
    if (variant === "bare+update") for (const doc of docs) doc.on("update", (update: Uint8Array) => void (encoded += update.byteLength));
    const origin = {};
    const own = (): void => {};
    return {
      feed:
        variant === "burst"
          ? (i) => {
              const [room, update] = updates[i]!;
              const outcome = applyBurst(docs[room]!, [update], origin, limits, own);
              if (outcome.applied !== 1) throw new Error(`update ${i} was not applied: ${outcome.refusal?.message}`);
            }
          : (i) => {
              const [room, update] = updates[i]!;
              Y.applyUpdate(docs[room]!, update, origin);
            },
      settle: async () => {},
      close: async () => {
        for (const doc of docs) doc.destroy();
      },
    };
  }
  const storage: Storage | undefined = variant === "session" ? await openStorage({ memory: true }) : undefined;
  const rooms = Array.from({ length: ROOMS }, (_, r) => {
    const session = new DocumentSession({
      room: `room-${r}`,
      gc: true,
      durability: "fast",
      ...(start ? { load: async () => start } : {}),
      ...(storage ? { persistence: { store: storage.docs, name: `main/room-${r}`, policy: { mode: "snapshot" as const } } } : {}),
      logger,
    });
    const conns = Array.from({ length: CLIENTS_PER_ROOM }, (_, c) => new CountingConnection(`${r}.${c}`));
    for (const conn of conns) session.attach(conn);
    return { session, conns };
  });
  await Promise.all(rooms.map((room) => room.session.load()));
  // Who sent update i: the fan-out's round robin, or the trace's agents spread over the room's connections.
  const senders = updates.map((_, i) => (STREAM === "fanout" ? Math.floor(i / ROOMS) % CLIENTS_PER_ROOM : i % CLIENTS_PER_ROOM));
  return {
    feed: (i) => {
      const room = rooms[updates[i]![0]]!;
      room.session.receive(room.conns[senders[i]!]!, frames[i]!);
    },
    settle: () => Promise.all(rooms.map((room) => room.session.whenDurable())).then(() => {}),
    close: async () => {
      await Promise.all(rooms.map((room) => room.session.stop()));
      await storage?.close();
    },
  };
}

/**
 * `--cpu-prof`: this script again in a child per variant under `node --cpu-prof` (the in-process inspector charges its
 * own dispatch for the samples), which writes the windows of its measured rounds (monotonic µs, the profile's clock)
 * to `WINDOWS_FILE`; the parent keeps the samples inside them (profile-window.ts).
 */
const WINDOWS_FILE = process.env.APPLY_BREAKDOWN_WINDOWS;
const windows: Array<[number, number]> = [];
const now = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Between two updates: a microtask (the default: the update's own work alone), or with `--turns` a turn of the event
 * loop (setImmediate), as `hot-path.ts --rate=0` does: timers the room set (compaction, the store's commit) then run.
 */
const TURNS = process.argv.includes("--turns");
const nextTick = (): Promise<void> => (TURNS ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve());

async function round(variant: Variant, updates: Array<[number, Uint8Array]>, frames: Uint8Array[], start: Uint8Array | null, measured: boolean) {
  const target = await rig(variant, updates, frames, start);
  // Each fan-out typist's first insert is not counted: they all go to one place, which the check resolves on a copy of
  // the document (reload-order.ts), once per typist; what is measured is the steady typing after.
  for (let i = 0; i < FIRST; i++) {
    target.feed(i);
    await nextTick();
  }
  await target.settle();
  // Settle what set-up left (loads, timers) before counting.
  await new Promise((resolve) => setImmediate(resolve));
  const from = now();
  const gc = new GCProfiler();
  gc.start();
  const usedAtStart = getHeapStatistics().used_heap_size;
  const cpuBefore = process.cpuUsage();
  for (let i = FIRST; i < updates.length; i++) {
    target.feed(i);
    await nextTick(); // a session applies its burst in the microtask it queued: each update alone, as a socket read
  }
  await target.settle();
  const cpu = process.cpuUsage(cpuBefore);
  const usedAtEnd = getHeapStatistics().used_heap_size;
  const freed = gc.stop().statistics.reduce((sum, s) => sum + s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize, 0);
  if (measured) windows.push([from, now()]);
  await target.close();
  return { cpuUs: (cpu.user + cpu.system) / (updates.length - FIRST), bytes: (usedAtEnd - usedAtStart + freed) / (updates.length - FIRST) };
}

const started = history();
const start = started?.update ?? null;
const updates = stream(started?.last);
const frames = updates.map(([, update]) => encodeUpdate(update));
const results = new Map<Variant, { cpu: number[]; bytes: number[] }>(variants.map((v) => [v, { cpu: [], bytes: [] }]));
for (let r = 0; r <= ROUNDS; r++) {
  const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
  for (const variant of order) {
    const { cpuUs, bytes } = await round(variant, updates, frames, start, r > 0);
    if (r === 0) continue;
    results.get(variant)!.cpu.push(cpuUs);
    results.get(variant)!.bytes.push(bytes);
  }
}

const bare = results.get("bare");
const f = (value: number, width = 7): string => value.toFixed(1).padStart(width);
console.log(
  `${STREAM}: ${updates.length - FIRST} updates counted per round (${ROOMS} room${ROOMS > 1 ? "s" : ""}${HISTORY ? `, each starting with ${HISTORY} clients' edits` : ""}), ${ROUNDS} rounds after one to warm up`,
);
console.log(`${"variant".padEnd(16)} ${"µs/update (median, least)".padEnd(26)} ${"bytes/update".padStart(12)}   against bare`);
for (const [variant, { cpu, bytes }] of results) {
  const vs =
    bare && variant !== "bare"
      ? `+${f(median(cpu) - median(bare.cpu), 5)} µs (least +${f(Math.min(...cpu) - Math.min(...bare.cpu), 5)}), +${f(median(bytes) - median(bare.bytes), 0)} B`
      : "";
  console.log(`${variant.padEnd(16)} ${f(median(cpu))} ${f(Math.min(...cpu))}           ${f(median(bytes), 12)}   ${vs}`);
}

/**
 * Where a sample's time belongs, from its stack (leaf first): the first rule whose frame is on it, in this order (the
 * checks and Yjs's apply run inside the transaction, the listeners inside its cleanup).
 */
const PARTS: Array<[string, RegExp]> = [
  ["GC, V8", /^\((garbage collector|program)\) /],
  ["idle", /^\(idle\) /],
  [
    "yparty: the checks (walk, concurrent-insert check)",
    /^(checkBeforeApply|YDocumentView|#\w+|validate\w*|readUpdateShape|refuseTrailingBytes|recordPassed) src\/yjs\/(burst|document-view|validate|known-structs|causal-past|conflict-run|order-spans|type-nesting|new-parts)\.ts|^readUpdateShape /,
  ],
  ["yparty: the store (update log, memory store)", /(persistence\/|src\/yjs\/update-log\.ts|src\/yjs\/compaction\.ts)/],
  [
    "yparty: sends (frame, broadcast, peers)",
    /^(#broadcast|#whenVisible|#sendAsReceived|#changed|send|toBytes|updateFrame) src\/yjs\/(session|peer|frames)\.ts|src\/yjs\/peer\.ts|^send bench/,
  ],
  [
    "yparty: afterTransaction listeners (size, pending, arrivals, order spans)",
    /^(#afterTransaction|#record|#persistPending|applied|forget) |src\/yjs\/(arrivals|document-size|pending|sync-answers)\.ts/,
  ],
  // Y.applyUpdate opens its own transaction when none is open (bare): its cleanup counts as the transaction's here too.
  ["Yjs: the transaction (constructor, cleanup, events)", /^(cleanupTransactions|Transaction) yjs\//],
  ["Yjs: decode and integrate (applyUpdate)", /^(applyUpdate|applyUpdateV2|readUpdateV2) yjs\//],
  ["Yjs: transact (rest)", /^transact yjs\//],
  ["yparty: receive, decode the frame, burst", /src\/(yjs|protocol)\//],
  ["harness", /bench\//],
];

function partOf(stack: string[]): string {
  for (const [name, rule] of PARTS) if (stack.some((frame) => rule.test(frame))) return name;
  return `other: ${stack[0]}`;
}

if (WINDOWS_FILE) writeFileSync(WINDOWS_FILE, JSON.stringify(windows));
if (PROFILE && !WINDOWS_FILE) {
  const dir = mkdtempSync(join(tmpdir(), "apply-breakdown-"));
  const perUpdate = new Map<Variant, Map<string, number>>();
  for (const variant of variants) {
    const windowsFile = join(dir, `${variant}.json`);
    const script = fileURLToPath(import.meta.url);
    const args = ["--cpu-prof", `--cpu-prof-dir=${join(dir, variant)}`, "--cpu-prof-interval=50", "--import", "tsx", script, STREAM];
    args.push(`--updates=${UPDATES}`, `--rounds=${ROUNDS}`, `--history=${HISTORY}`, `--only=${variant}`, ...(TURNS ? ["--turns"] : []));
    execFileSync(process.execPath, args, { env: { ...process.env, APPLY_BREAKDOWN_WINDOWS: windowsFile }, stdio: "ignore" });
    const profileFile = join(dir, variant, readdirSync(join(dir, variant))[0]!);
    const profile = JSON.parse(readFileSync(profileFile, "utf8")) as Parameters<typeof profileWindow>[0];
    const table = new Map<string, number>();
    const add = (key: string, us: number): void => void table.set(key, (table.get(key) ?? 0) + us / ((UPDATES - FIRST) * ROUNDS));
    for (const [from, to] of JSON.parse(readFileSync(windowsFile, "utf8")) as Array<[number, number]>) {
      const part = profileWindow(profile, from, to);
      const byId = new Map(part.nodes.map((node) => [node.id, node]));
      const parentOf = new Map<number, number>();
      for (const node of part.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
      part.samples.forEach((id, i) => {
        const us = part.timeDeltas[i] ?? 0;
        const stack: string[] = [];
        for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
          const { functionName, url, lineNumber, columnNumber } = byId.get(at)!.callFrame;
          const file = url
            .replace(/^.*\/node_modules\//, "")
            .replace(/^.*\/wt-[^/]+\//, "")
            .replace(/^file:\/\//, "");
          // Where an anonymous function starts (in the code as loaded: tsx's output for .ts files)
          const where = functionName === "" && file ? `:${lineNumber + 1}:${columnNumber + 1}` : "";
          stack.push(`${functionName || "(anonymous)"} ${file}${where}`);
        }
        add(`self: ${stack[0]}`, us);
        add(`part: ${partOf(stack)}`, us);
      });
    }
    perUpdate.set(variant, table);
  }
  rmSync(dir, { recursive: true, force: true });
  const show = (title: string, rows: Array<[string, number]>): void => {
    console.log(`\n${title}`);
    for (const [key, us] of rows) console.log(`${f(us, 7)}  ${key}`);
  };
  const rowsOf = (table: Map<string, number>, prefix: string): Array<[string, number]> =>
    [...table].filter(([key]) => key.startsWith(prefix)).map(([key, us]): [string, number] => [key.slice(prefix.length), us]);
  for (const [variant, table] of perUpdate) {
    const parts = rowsOf(table, "part: ").sort((a, b) => b[1] - a[1]);
    show(
      `${variant}: µs per update by part (profiled: the profiler slows everything), ${f(
        parts.reduce((sum, [, us]) => sum + us, 0),
        0,
      )} µs sampled`,
      parts,
    );
    show(
      `${variant}: µs per update by function (self)`,
      rowsOf(table, "self: ")
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15),
    );
  }
  const a = perUpdate.get("bare");
  const b = perUpdate.get("session");
  if (a && b) {
    const diff = [...new Set([...a.keys(), ...b.keys()])].map((key): [string, number] => [key, (b.get(key) ?? 0) - (a.get(key) ?? 0)]);
    show(
      "session minus bare: µs per update by part",
      diff.filter(([key]) => key.startsWith("part: ")).sort((x, y) => y[1] - x[1]),
    );
    show(
      "session minus bare: µs per update by function (self), largest first",
      diff
        .filter(([key]) => key.startsWith("self: "))
        .sort((x, y) => y[1] - x[1])
        .slice(0, 20),
    );
  }
}
