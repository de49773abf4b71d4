/**
 * `kill -9` of a loaded server, again and again on one data folder, landing during writes, during the log merges
 * of a history room, and during the unloads (flush and merge) that churning clients cause. After each restart,
 * every update the server acknowledged is there, and every room loads.
 *
 * Rounds: 3 in `npm test`; `YPARTY_CRASH_ROUNDS=50 npx vitest run test/reliability/crash.test.ts` for a long run.
 */
import { TokenWriter } from "../helpers/token-writer.js";
import { describe, expect, it } from "vitest";
import { withTimeout } from "../yjs/support/fake-client.js";
import { dataFolder, startServer, storedTokens, useCrashHarness } from "./support/crash-harness.js";

const ROUNDS = Number(process.env.YPARTY_CRASH_ROUNDS ?? 3);
const ROOMS = [
  { party: "main", room: "steady-0" },
  { party: "main", room: "steady-1" },
  { party: "history", room: "steady-2" },
  { party: "history", room: "steady-3" },
];
const CHURN_ROOMS = [
  { party: "main", room: "churn-0" },
  { party: "history", room: "churn-1" },
];

useCrashHarness();

describe("kill -9 under load, during merges and during unloads", () => {
  it(
    `loses no acknowledged update across ${ROUNDS} kills on one data folder`,
    async () => {
      const dir = await dataFolder();
      const acknowledged = new Map<string, Set<string>>(); // "party/room" → every token ever acknowledged there
      const remember = (target: { party: string; room: string }, tokens: string[]) => {
        const key = `${target.party}/${target.room}`;
        const set = acknowledged.get(key) ?? new Set<string>();
        for (const token of tokens) set.add(token);
        acknowledged.set(key, set);
      };
      let acksAtKills = 0;
      let visits = 0;

      for (let round = 0; round < ROUNDS; round++) {
        const { child, base } = await startServer(dir);
        let running = true;
        let total = 0;

        // Steady writers: one per room, a token per update, a pause for the acks every 25.
        const steady = ROOMS.map((target, w) => {
          const writer = new TokenWriter(base, target.party, target.room);
          const pump = (async () => {
            await writer.opened.catch(() => {});
            for (let n = 0; running && writer.open; n++) {
              writer.write(`r${round}-w${w}-${n}`);
              if (n % 25 === 24) await writer.settled();
              total++;
            }
          })();
          return { target, writer, pump };
        });

        // Churn: connect, write three tokens, wait for their acks, leave (the room unloads: flush and merge).
        const churned: Array<{ target: { party: string; room: string }; writer: TokenWriter }> = [];
        const churn = CHURN_ROOMS.map((target, c) =>
          (async () => {
            for (let visit = 0; running; visit++) {
              const writer = new TokenWriter(base, target.party, target.room);
              churned.push({ target, writer });
              await writer.opened.catch(() => {});
              if (!writer.open) return;
              for (let n = 0; n < 3; n++) writer.write(`r${round}-c${c}-${visit}-${n}`);
              await writer.settled();
              writer.close();
              await writer.closed;
            }
          })(),
        );

        // Kill at a point that differs from round to round, once enough has been acknowledged to matter.
        const killAfter = 150 + ((round * 97) % 400);
        await withTimeout(
          (async () => {
            while (steady.reduce((sum, s) => sum + s.writer.acknowledged.length, 0) < killAfter) {
              await Promise.race(steady.map((s) => s.writer.settled()));
              await new Promise((resolve) => setImmediate(resolve));
            }
          })(),
          30_000,
          `${killAfter} acknowledged updates in round ${round}`,
        );
        child.kill("SIGKILL");
        await new Promise((resolve) => child.once("exit", resolve));
        running = false;
        await Promise.all([...steady.map((s) => s.pump), ...churn]);
        for (const { target, writer } of steady) remember(target, writer.acknowledged);
        for (const { target, writer } of churned) remember(target, writer.acknowledged);
        visits += churned.length;
        acksAtKills += steady.reduce((sum, s) => sum + s.writer.acknowledged.length, 0);
        expect(total).toBeGreaterThan(0);

        // Back up on the same folder: every acknowledged token is stored, in every room.
        const { child: restarted, base: again } = await startServer(dir);
        for (const target of [...ROOMS, ...CHURN_ROOMS]) {
          const stored = await storedTokens(again, target);
          const missing = [...(acknowledged.get(`${target.party}/${target.room}`) ?? [])].filter((token) => !stored.has(token));
          expect(missing, `acknowledged but lost in ${target.party}/${target.room} after kill ${round + 1}`).toEqual([]);
        }
        restarted.kill("SIGKILL");
        await new Promise((resolve) => restarted.once("exit", resolve));
      }
      expect(acksAtKills).toBeGreaterThanOrEqual(150 * ROUNDS);
      expect(visits, "churning clients made rooms unload in every round").toBeGreaterThan(2 * ROUNDS);
    },
    60_000 + ROUNDS * 20_000,
  );
});
