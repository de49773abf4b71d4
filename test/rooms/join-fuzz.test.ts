/**
 * Helper 47: a seeded fuzzer of the rooms' join path. Sessions (1–3 per player, 4 players) pipeline joins, leaves,
 * inputs into one room (maxClients 3), drop their sockets and resume, while `onJoin`/`onLeave` are async and sometimes
 * slow, and `onJoin` sometimes throws a `RoomError` or (mode "faults") a plain error; in mode "reloads", `dev` reloads
 * (1012) come in the middle. The oracle: every request on a socket still open is answered; `onLeave` only for a player
 * in the logic; once every session is gone the newest instance's logic holds nobody, has no member and runs no hook
 * (a join still running holds its seat until it is undone: that is not a phantom); and then the room is as new:
 * each player's next join is an ordinary one (`onJoin`), it takes exactly maxClients players (no phantom), and their
 * leaves empty it again.
 *
 * What it showed (failing before, "reloads" seeds 2 and 6): a reload while a seated session's join back (after an
 * earlier reload) still runs left the player in the logic for good — reload-during-rejoin.test.ts is the same,
 * minimized. A stop now keeps the seat of a player whose join is under way. Left: in wider runs ("reloads" seeds
 * 300–329: 309 and 310) a stop cuts an onJoin that had not written its player yet, whose kept seat then expires with an
 * onLeave of a player the state does not hold (the room cannot tell how far onJoin got). The "faults" seeds hold up (140 seeds × 40 steps run clean: seeds 100–159 and 200–279). FUZZ_SEED / FUZZ_SEEDS / FUZZ_STEPS choose the runs, FUZZ_MINIMIZE=1 (FUZZ_MODE=faults
 * for the other mode) shrinks FUZZ_SEED's failing run to a small op list, FUZZ_OPS='[…]' replays one.
 */
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { createRooms, defineRoomType, RoomError, type RoomApi } from "../../src/rooms/index.js";
import { cleanupAll, startServer, waitFor, type TestServer } from "../helpers/server.js";
import { rawClient, type P, type RawClient } from "./helpers.js";

afterEach(cleanupAll);

const MAX = 3;
const ROOM = "r";

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

interface Fz {
  in: string[];
}

const hooks = new EventEmitter();
hooks.setMaxListeners(100);
const violations: string[] = [];
let joinsSeen: string[] = [];
let leaveDelay: () => number = () => 0;
let current: { state: Fz; clients: readonly string[] } | undefined;
/** What the hooks did, with the instance they ran in (for the failure's message). */
const trace: string[] = [];
const instances = new WeakMap<object, number>();
let instanceCount = 0;
/** Hooks of `onJoin`/`onLeave` still running, per instance. */
const runningHooks = new WeakMap<object, number>();
function hookRuns(api: object, by: number): void {
  runningHooks.set(api, (runningHooks.get(api) ?? 0) + by);
  if (by < 0 && current === api) setImmediate(() => hooks.emit("changed"));
}

/** The newest instance of the room (a stopped one may still run a hook that was running when it stopped). */
function seen(api: { state: Fz; clients: readonly string[] }): void {
  if (!current || at(api) >= at(current)) current = api;
}
function at(api: object): number {
  let n = instances.get(api);
  if (n === undefined) instances.set(api, (n = ++instanceCount));
  return n;
}

const pause = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

const fz = defineRoomType<Fz>({
  maxClients: MAX,
  onCreate() {
    this.state = { in: [] };
    seen(this);
    trace.push(`onCreate @${at(this)}`);
  },
  async onJoin(player, options) {
    seen(this);
    hookRuns(this, 1);
    try {
      await joinHook.call(this, player, options);
    } finally {
      hookRuns(this, -1);
    }
  },
  async onLeave(player) {
    seen(this);
    hookRuns(this, 1);
    try {
      await leaveHook.call(this, player);
    } finally {
      hookRuns(this, -1);
    }
  },
  onInput() {
    seen(this);
  },
});

async function joinHook(this: RoomApi<Fz>, player: string, options: Record<string, unknown>): Promise<void> {
  trace.push(`onJoin(${player}) @${at(this)} start`);
  await pause(Number(options.delay ?? 0));
  trace.push(`onJoin(${player}) @${at(this)} ${options.fail ?? "done"}`);
  if (options.fail === "room") throw new RoomError("refused by the logic");
  if (options.fail === "plain") throw new Error("onJoin failed (fuzz)");
  joinsSeen.push(player);
  if (!this.state.in.includes(player)) this.state.in.push(player);
}

async function leaveHook(this: RoomApi<Fz>, player: string): Promise<void> {
  trace.push(`onLeave(${player}) @${at(this)}`);
  await pause(leaveDelay());
  if (!this.state.in.includes(player)) violations.push(`onLeave(${player}) of a player not in the logic`);
  this.state.in = this.state.in.filter((name) => name !== player);
}

interface Sess {
  player: string;
  client: RawClient;
  sessionId: string;
  dropped: boolean;
  /** rid → what it was */
  pending: Map<string, string>;
}

let rid = 0;

function send(s: Sess, t: string, p: P, what: string): void {
  const id = `f${++rid}`;
  s.pending.set(id, what);
  s.client.send(t, p, id);
}

async function open(server: TestServer, player: string, sessionId?: string): Promise<Sess> {
  const client = rawClient(server);
  const ok = await client.handshake({ token: `dev:${player}`, ...(sessionId ? { session_id: sessionId } : {}) });
  return { player, client, sessionId: ok.session_id as string, dropped: false, pending: new Map() };
}

/** Every request still open on a live socket is answered. */
async function answers(sessions: Sess[], log: string[]): Promise<void> {
  for (const s of sessions) {
    if (s.dropped) continue;
    for (const [id, what] of [...s.pending]) {
      await s.client
        .expect("rpc.response", (_p, e) => e.rid === id, 3000)
        .catch((error: Error) => {
          throw new Error(`unanswered: ${what} of ${s.player} (${error.message.slice(0, 300)})\n${log.join("\n")}`);
        });
      s.pending.delete(id);
    }
  }
}

function members(): readonly string[] | undefined {
  return current?.clients;
}

function holding(): string[] | undefined {
  return current?.state.in;
}

/** The newest instance holds nobody in its logic and has no member (`joined`: a join was sent, so a room exists). */
function logicEmpty(joined = true): Promise<void> {
  const empty = (): boolean => (current ? (holding() ?? []).length === 0 && (members() ?? []).length === 0 && (runningHooks.get(current) ?? 0) === 0 : !joined);
  if (empty()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!empty()) return;
      hooks.off("changed", check);
      resolve();
    };
    hooks.on("changed", check);
  });
}

type Op =
  | { k: "open"; n: number; player: string; resume?: number }
  | { k: "join"; n: number; delay: number; fail?: "room" | "plain" }
  | { k: "leave" | "msg" | "drop"; n: number }
  | { k: "reload" }
  | { k: "wait" };

/** The ops of one run (bursts end with `wait`: every reload and answer awaited), from the seed alone. */
function generate(seed: number, steps: number, mode: { reloads: boolean; faults: boolean }): Op[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const players = ["a", "b", "c", "d"];
  const sessions: Array<{ player: string; dropped: boolean; resumed: boolean }> = [];
  const ops: Op[] = [];
  for (let step = 0; step < steps; step++) {
    const burst = 1 + Math.floor(random() * 5);
    for (let i = 0; i < burst; i++) {
      const live = sessions.map((s, n) => ({ s, n })).filter(({ s }) => !s.dropped);
      const r = random();
      if (live.length === 0 || r < 0.12) {
        const player = pick(players);
        if (sessions.filter((s) => s.player === player && !s.dropped).length >= 3) continue;
        const resumable = sessions.findIndex((s) => s.player === player && s.dropped && !s.resumed);
        const resume = resumable >= 0 && random() < 0.5 ? resumable : undefined;
        if (resume !== undefined) sessions[resume]!.resumed = true;
        ops.push({ k: "open", n: sessions.length, player, ...(resume !== undefined ? { resume } : {}) });
        sessions.push({ player, dropped: false, resumed: false });
        continue;
      }
      const { s, n } = pick(live);
      if (r < 0.5) {
        const fail = random() < 0.15 ? "room" : random() < 0.08 && mode.faults ? "plain" : undefined;
        const delay = random() < 0.4 ? Math.floor(random() * 20) : 0;
        ops.push({ k: "join", n, delay, ...(fail ? { fail } : {}) });
      } else if (r < 0.75) ops.push({ k: "leave", n });
      else if (r < 0.85) ops.push({ k: "msg", n });
      else if (r < 0.95) {
        s.dropped = true;
        ops.push({ k: "drop", n });
      } else if (mode.reloads) ops.push({ k: "reload" });
    }
    ops.push({ k: "wait" });
  }
  return ops;
}

async function fuzz(seed: number, steps: number, mode: { reloads: boolean; faults: boolean }): Promise<void> {
  await execute(generate(seed, steps, mode), `seed ${seed}`, 3000);
}

async function execute(ops: Op[], name: string, settleMs: number): Promise<void> {
  leaveDelay = () => 0;
  violations.length = 0;
  trace.length = 0;
  current = undefined;
  const rooms = createRooms({ types: { fz }, limits: { resumeWindowMs: 120, maxProtocolErrors: 100000 } });
  const server = await startServer(rooms.parties, { storage: "memory", sockets: rooms.sockets });
  const players = ["a", "b", "c", "d"];
  const sessions = new Map<number, Sess>();
  const log: string[] = trace;
  log.push(name);
  let reloads: Promise<void>[] = [];
  try {
    for (const op of ops) {
      if (op.k === "wait") {
        await waitFor(Promise.all(reloads), "reloads");
        reloads = [];
        await answers([...sessions.values()], log);
        continue;
      }
      if (op.k === "reload") {
        log.push("reload");
        reloads.push(server.server.reload(rooms.parties).then(() => void log.push("reloaded")));
        continue;
      }
      if (op.k === "open") {
        const from = op.resume === undefined ? undefined : sessions.get(op.resume);
        if (op.resume !== undefined && !from?.dropped) continue; // (a live session is not resumed: it would be taken over)
        sessions.set(op.n, await open(server, op.player, from?.sessionId));
        log.push(`${from ? "resume" : "open"} ${op.player}#${op.n}${from ? ` of #${op.resume}` : ""}`);
        continue;
      }
      const s = sessions.get(op.n);
      if (!s || s.dropped) continue;
      const who = `${s.player}#${op.n}`;
      if (op.k === "join") {
        send(
          s,
          "room.join_or_create",
          { room_type: "fz", room: ROOM, options: { delay: op.delay, ...(op.fail ? { fail: op.fail } : {}) } },
          `join(${op.delay},${op.fail})`,
        );
        log.push(`join ${who} delay ${op.delay} ${op.fail ?? ""}`);
      } else if (op.k === "leave") {
        send(s, "room.leave", { room: ROOM }, "leave");
        log.push(`leave ${who}`);
      } else if (op.k === "msg") {
        s.client.send("room.message", { room: ROOM, type: "x", data: null });
        log.push(`msg ${who}`);
      } else {
        s.dropped = true;
        s.client.client.ws.terminate();
        log.push(`drop ${who}`);
      }
    }
    await waitFor(Promise.all(reloads), "reloads");
    await answers([...sessions.values()], log);
    // Everyone goes: the sessions end after resumeWindowMs, and the room's logic holds nobody.
    for (const s of sessions.values()) s.client.client.ws.terminate();
    log.push("all gone");
    await waitFor(logicEmpty(ops.some((op) => op.k === "join")), "the logic to hold nobody", settleMs).catch((error: Error) => {
      const logs = server.logs.filter((e) => e.level !== "debug" || String(e.event).startsWith("room") || String(e.event).startsWith("local"));
      throw new Error(
        `${error.message} (holds ${JSON.stringify(holding())}, members ${JSON.stringify(members())})\n${log.join("\n")}\n${logs.map((e) => JSON.stringify(e).slice(0, 300)).join("\n")}`,
      );
    });
    // The room as new: every player's join an ordinary one, maxClients of them and no more.
    joinsSeen = [];
    const probes: RawClient[] = [];
    const all = [...players, "p1", "p2", "p3"];
    for (const player of all.slice(0, MAX)) {
      const s = await open(server, player);
      const answer = await s.client.request("room.join_or_create", { room_type: "fz", room: ROOM });
      expect(answer.ok, `probe join of ${player}: ${JSON.stringify(answer)}\n${log.join("\n")}`).toBe(true);
      probes.push(s.client);
    }
    expect(joinsSeen, `onJoin of every probe\n${log.join("\n")}`).toEqual(all.slice(0, MAX));
    const extra = await open(server, all[MAX]!);
    const refused = await extra.client.request("room.join_or_create", { room_type: "fz", room: ROOM });
    expect(refused.ok, "one more than maxClients is refused").toBe(false);
    for (const client of probes) expect((await client.request("room.leave", { room: ROOM })).ok).toBe(true);
    await waitFor(logicEmpty(), "the probes to leave", settleMs);
    expect(violations, log.join("\n")).toEqual([]);
  } finally {
    await server.cleanup();
  }
}

/** Delta debugging of a failing run's ops (FUZZ_MINIMIZE=1): the smallest list found that still fails. */
async function minimize(ops: Op[]): Promise<Op[]> {
  const fails = async (list: Op[]): Promise<boolean> => {
    try {
      await execute(list, "min", 1500);
      return false;
    } catch {
      return true;
    }
  };
  let chunk = Math.ceil(ops.length / 2);
  while (chunk >= 1) {
    let removed = false;
    for (let at = 0; at < ops.length; ) {
      const candidate = [...ops.slice(0, at), ...ops.slice(at + chunk)];
      if (candidate.length > 0 && (await fails(candidate)) && (await fails(candidate))) {
        ops = candidate;
        removed = true;
      } else at += chunk;
    }
    if (!removed) chunk = Math.floor(chunk / 2);
  }
  return ops;
}

describe("rooms: the join path, fuzzed", () => {
  const base = Number(process.env.FUZZ_SEED ?? 1);
  const seeds = Number(process.env.FUZZ_SEEDS ?? 6);
  const steps = Number(process.env.FUZZ_STEPS ?? 25);
  if (process.env.FUZZ_OPS) {
    it("replay", { timeout: 60_000 }, () => execute(JSON.parse(process.env.FUZZ_OPS!) as Op[], "replay", 3000));
    return;
  }
  if (process.env.FUZZ_MINIMIZE) {
    it("minimize", { timeout: 900_000 }, async () => {
      const ops = await minimize(generate(base, steps, { reloads: process.env.FUZZ_MODE !== "faults", faults: process.env.FUZZ_MODE === "faults" }));
      console.log(JSON.stringify(ops));
      await execute(ops, "minimized", 3000);
    });
    return;
  }
  for (let i = 0; i < seeds; i++) {
    if (process.env.FUZZ_MODE !== "reloads")
      it(`seed ${base + i}: faults in onJoin, no reloads`, { timeout: 30_000 }, () => fuzz(base + i, steps, { reloads: false, faults: true }));
    if (process.env.FUZZ_MODE !== "faults")
      it(`seed ${base + i}: reloads, no faults`, { timeout: 30_000 }, () => fuzz(base + i, steps, { reloads: true, faults: false }));
  }
});
