/**
 * Adversarial checks of the process-wide heavy-work queue (persistence/heavy-work.ts): loads' merges and applies, the
 * compactions on load and the compactions of the live document waiting in it when the server is killed or stopped.
 * These held up when written (no defect found); they cover what the suite did not: many rooms' queued work at a
 * SIGKILL or a graceful stop, and the queue's own ordering and error handling.
 *
 * kill -9 while many rooms' loads wait in the queue: 24 rooms whose stored logs are long (90 entries: past
 * `compactOnLoadAbove`, so each load merges through the queue and then compacts what it read), a writer with durable
 * acks on each connecting at once, the server killed (SIGKILL) once a third of the rooms acknowledged a write (the
 * others' merges and applies still queued). Then every acknowledged token must be stored, the seeded entries too, and
 * `yparty doctor` must find the folder clean.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test, vi } from "vitest";
import * as Y from "yjs";
import { openStorage } from "../../persistence/index.js";
import { heavyTurn, inHeavyTurn } from "../../persistence/heavy-work.js";
import { startServer, waitFor, cleanupAll } from "../helpers/server.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { TokenWriter } from "../helpers/token-writer.js";
import { runCli } from "../cli/helpers.js";
import { startChildServer } from "./support/child.js";

vi.setConfig({ testTimeout: 120_000 });

const children = new Set<ChildProcess>();
const folders: string[] = [];
const writers: TokenWriter[] = [];

afterEach(async () => {
  for (const writer of writers.splice(0)) writer.close();
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all([...children].map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
  children.clear();
  await cleanupAll();
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

const ROOMS = 24;
const ENTRIES = 90;

/** A document of `tokens` (the array TokenWriter writes to) with a seeded map of ~3 000 entries, stored as ENTRIES log entries. */
async function seed(dir: string): Promise<void> {
  const storage = await openStorage({ dir });
  for (let r = 0; r < ROOMS; r++) {
    const doc = new Y.Doc();
    const map = doc.getMap<string>("seed");
    for (let i = 0; i < ENTRIES; i++) {
      const before = Y.encodeStateVector(doc);
      doc.transact(() => {
        for (let k = 0; k < 35; k++) map.set(`k${i}-${k}`, `value ${i} ${k} ${"x".repeat(20)}`);
      });
      await storage.docs.append(`main/room-${r}`, Y.encodeStateAsUpdate(doc, before));
    }
    doc.destroy();
  }
  await storage.close();
}

async function storedDocument(dir: string, name: string): Promise<Y.Doc> {
  const storage = await openStorage({ dir });
  try {
    const doc = new Y.Doc();
    const update = await storage.docs.load(name);
    if (update) Y.applyUpdate(doc, update);
    return doc;
  } finally {
    await storage.close();
  }
}

test("kill -9 while many rooms' loads and compactions wait in the heavy-work queue: nothing acknowledged is lost, doctor is clean", async () => {
  const dir = await mkdtemp(join(tmpdir(), "yparty-heavy-kill-"));
  folders.push(dir);
  await seed(dir);

  const { child, url } = await startChildServer(dir, children);
  const host = url.replace("http://", "");
  const rooms = Array.from({ length: ROOMS }, (_, r) => `room-${r}`);
  const own = rooms.map((room) => {
    const writer = new TokenWriter(host, "main", room);
    writers.push(writer);
    return writer;
  });
  // Each writes a token as soon as it is open (held while its room loads) and one more after each ack.
  let acknowledgedRooms = 0;
  const third = new Promise<void>((resolve) => {
    own.forEach((writer, r) => {
      void writer.opened.then(
        async () => {
          for (let i = 0; writer.open; i++) {
            writer.write(`r${r}-t${i}`);
            await writer.settled();
            if (i === 0 && writer.acknowledged.length > 0 && ++acknowledgedRooms === Math.ceil(ROOMS / 3)) resolve();
          }
        },
        () => {},
      );
    });
  });
  await waitFor(third, "a third of the rooms to acknowledge a write", 60_000);
  child.kill("SIGKILL");
  await new Promise((resolve) => child.once("exit", resolve));
  const acknowledged = own.map((writer) => writer.acknowledged);
  const roomsAcked = acknowledged.filter((tokens) => tokens.length > 0).length;
  expect(roomsAcked).toBeGreaterThanOrEqual(Math.ceil(ROOMS / 3));
  process.stdout.write(`[heavy kill] rooms with an ack at the kill: ${roomsAcked}/${ROOMS}\n`);

  for (const [r, room] of rooms.entries()) {
    const doc = await storedDocument(dir, `main/${room}`);
    const tokens = doc.getArray<string>("tokens").toArray();
    for (const token of acknowledged[r]!) expect(tokens, `${room}: acknowledged ${token}`).toContain(token);
    expect(doc.getMap("seed").size, `${room}: the seeded entries`).toBe(ENTRIES * 35);
    doc.destroy();
  }
  const doctor = await runCli(["doctor", "--persist", dir], { cwd: dir, timeoutMs: 60_000 });
  expect(doctor.code, `${doctor.stdout}\n${doctor.stderr}`).toBe(0);
});

/**
 * A graceful stop while many rooms' loads wait in the queue (and each room, once loaded, compacts on unload through
 * the queue too): the stop must finish, every acknowledged token and every seeded entry must be stored, and each room
 * that loaded must be left as one merged entry (snapshot mode) with `yparty doctor` clean.
 */
test("graceful stop while many rooms' loads and their unload compactions wait in the heavy-work queue", async () => {
  const dir = await mkdtemp(join(tmpdir(), "yparty-heavy-stop-"));
  folders.push(dir);
  await seed(dir);
  const server = await startServer({ main: DocumentParty }, { dir });
  const host = server.url.replace("http://", "");
  const own = Array.from({ length: ROOMS }, (_, r) => {
    const writer = new TokenWriter(host, "main", `room-${r}`);
    writers.push(writer);
    void writer.opened.then(
      () => writer.write(`r${r}-t0`),
      () => {},
    );
    return writer;
  });
  await waitFor(
    new Promise<void>((resolve) => {
      const check = () => (own.some((writer) => writer.acknowledged.length > 0) ? resolve() : setTimeout(check, 5));
      check();
    }),
    "a first room to acknowledge a write",
    60_000,
  );
  await waitFor(server.stop(), "the graceful stop", 60_000);
  const acknowledged = own.map((writer) => writer.acknowledged);
  const storage = await openStorage({ dir });
  try {
    for (let r = 0; r < ROOMS; r++) {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, (await storage.docs.load(`main/room-${r}`))!);
      for (const token of acknowledged[r]!) expect(doc.getArray<string>("tokens").toArray(), `room-${r}: acknowledged ${token}`).toContain(token);
      expect(doc.getMap("seed").size, `room-${r}: the seeded entries`).toBe(ENTRIES * 35);
      if (acknowledged[r]!.length > 0) expect((await storage.docs.stats(`main/room-${r}`)).updates, `room-${r}: merged at unload`).toBe(1);
      doc.destroy();
    }
  } finally {
    await storage.close();
  }
  const doctor = await runCli(["doctor", "--persist", dir], { cwd: dir, timeoutMs: 60_000 });
  expect(doctor.code, `${doctor.stdout}\n${doctor.stderr}`).toBe(0);
});

/**
 * The queue itself, as a room's damaged log would meet it: a piece that throws rejects its own caller only; the
 * pieces queued after it still run, in order, `finishes` pieces first; a `heavyTurn` gets a turn no piece runs in.
 */
test("the heavy-work queue: a piece that throws stalls nothing, finishing pieces go first, heavyTurn has its turn alone", async () => {
  const order: string[] = [];
  const thrown = inHeavyTurn(() => {
    order.push("throws");
    throw new Error("damaged");
  });
  const after = inHeavyTurn(() => order.push("after"));
  const turn = heavyTurn().then(() => order.push("turn"));
  const last = inHeavyTurn(() => order.push("last"));
  const first = inHeavyTurn(() => order.push("finishes"), true);
  await expect(thrown).rejects.toThrow("damaged");
  await Promise.all([after, turn, last, first]);
  expect(order).toEqual(["finishes", "throws", "after", "turn", "last"]);

  // heavyTurn: the piece queued after it runs in a later macrotask, not in the work that follows the turn's start.
  const seen: string[] = [];
  await inHeavyTurn(() => {});
  const alone = heavyTurn().then(async () => {
    seen.push("turn");
    await Promise.resolve();
    seen.push("microtask");
  });
  const next = inHeavyTurn(() => seen.push("piece"));
  await Promise.all([alone, next]);
  expect(seen).toEqual(["turn", "microtask", "piece"]);
});
