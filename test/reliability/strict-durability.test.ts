/**
 * `durability: "strict"` from the outside: a server process on LevelDB, writers with up to 20 unacknowledged updates each and
 * observers that only read, `kill -9` at a point that differs per round. After each restart, every update any
 * observer received is stored: no collaborator ever saw a change the crash took back. (With the default, "fast",
 * changes reach observers before they are on disk, and a kill loses some of what they saw.)
 *
 * Rounds: 2 in `npm test`; `YPARTY_CRASH_ROUNDS=20 npx vitest run test/reliability/strict-durability.test.ts` for more
 * (`YPARTY_CRASH_DEBUG=1` prints how many tokens each observer had at each kill).
 */
import { TokenWriter } from "../helpers/token-writer.js";
import WebSocket from "ws";
import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { decodeMessage, encodeSyncStep1 } from "../../src/protocol/index.js";
import { withTimeout } from "../yjs/support/fake-client.js";
import { dataFolder, startServer, storedTokens, useCrashHarness } from "./support/crash-harness.js";

const ROUNDS = Number(process.env.YPARTY_CRASH_ROUNDS ?? 2);
const ROOMS = [
  { party: "main", room: "strict-0" },
  { party: "main", room: "strict-1" },
  { party: "history", room: "strict-2" },
];
const WRITERS_PER_ROOM = 3;

useCrashHarness();

/** A read-only collaborator: syncs, then applies every update the server sends; `seen` is what it has received. */
class Observer {
  readonly #doc = new Y.Doc();
  readonly #socket: WebSocket;
  readonly synced: Promise<void>;
  #waiters: Array<() => void> = [];

  constructor(base: string, { party, room }: { party: string; room: string }) {
    this.#socket = new WebSocket(`ws://${base}/parties/${party}/${room}`);
    this.#socket.on("error", () => {}); // the kill resets the socket: expected here
    this.synced = new Promise((resolve) => {
      this.#socket.once("open", () => this.#socket.send(encodeSyncStep1(Y.encodeStateVector(this.#doc))));
      this.#socket.on("message", (data: Buffer) => {
        const message = decodeMessage(new Uint8Array(data));
        if (message.type !== "sync-step2" && message.type !== "update") return;
        Y.applyUpdate(this.#doc, message.update);
        if (message.type === "sync-step2") resolve();
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  get seen(): string[] {
    return this.#doc.getArray<string>("tokens").toArray();
  }

  /** Resolves once it has seen at least `count` tokens. */
  sees(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (this.seen.length >= count ? resolve() : this.#waiters.push(check));
      check();
    });
  }
}

describe('durability: "strict" under kill -9', () => {
  it(
    `every update an observer received is stored after the restart (${ROUNDS} kills on one data folder)`,
    async () => {
      const dir = await dataFolder();
      let observedAtKills = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const { child, base } = await startServer(dir, "strict");
        const observers = ROOMS.map((target) => ({ target, observer: new Observer(base, target) }));
        await withTimeout(Promise.all(observers.map(({ observer }) => observer.synced)), 10_000, "the observers' first sync");
        const before = observers.map(({ observer }) => observer.seen.length);
        let running = true;
        const pumps = ROOMS.flatMap((target, r) =>
          Array.from({ length: WRITERS_PER_ROOM }, (_, w) =>
            (async () => {
              const writer = new TokenWriter(base, target.party, target.room);
              await writer.opened.catch(() => {});
              // Up to 20 unacknowledged at a time: many changes in flight at any moment.
              for (let n = 0; running && writer.open; n++) {
                writer.write(`r${round}-${r}-${w}-${n}`);
                if (n % 20 === 19) await writer.settled();
              }
            })(),
          ),
        );
        // Kill at a point that differs from round to round, while writes are in full flow.
        const killAfter = 200 + ((round * 211) % 300);
        await withTimeout(
          Promise.all(observers.map(({ observer }, i) => observer.sees(before[i]! + killAfter))),
          30_000,
          `${killAfter} observed updates per room`,
        );
        if (process.env.YPARTY_CRASH_DEBUG)
          console.error(
            "kill",
            round,
            observers.map(({ observer }) => observer.seen.length),
          );
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
        running = false;
        await Promise.all(pumps);
        const observed = observers.map(({ target, observer }) => ({ target, seen: observer.seen }));
        observedAtKills += observed.reduce((sum, { seen }) => sum + seen.length, 0);

        const { child: restarted, base: again } = await startServer(dir, "strict");
        for (const { target, seen } of observed) {
          const stored = await storedTokens(again, target);
          const lost = seen.filter((token) => !stored.has(token));
          expect(lost, `observed but lost in ${target.party}/${target.room} after kill ${round + 1}`).toEqual([]);
        }
        restarted.kill("SIGKILL");
        await new Promise((resolve) => restarted.once("exit", resolve));
      }
      expect(observedAtKills).toBeGreaterThanOrEqual(200 * ROOMS.length * ROUNDS);
    },
    60_000 + ROUNDS * 30_000,
  );
});
