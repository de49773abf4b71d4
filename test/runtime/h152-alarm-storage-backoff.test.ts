/**
 * An alarm whose record cannot be written as it starts (the storage refuses: a full disk, a damaged table) was tried
 * again every alarmRetryBaseMs for as long as the fault lasted, an error (alarm.start_failed) each time: every 2 s per
 * alarm, forever for a fault that does not heal, where h150 made a start refused for a reason of the moment back off.
 * Tries in a row now back off the same way (twice as long each time, up to 60 s); each is still an error, and the
 * alarm runs once the storage writes again. So does an alarm whose end cannot be written (alarm.settle_failed): it was
 * run again every alarmRetryBaseMs, its onAlarm with it.
 */
import { afterEach, expect, it } from "vitest";
import { StorageError } from "../../persistence/index.js";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { stagedPlacement } from "../helpers/staged-placement.js";
import { alarmedParty, alarmState } from "./alarm-fixtures.js";

afterEach(cleanupAll);

/** While true, every write of an alarm record is refused, as a full disk refuses it; "deletes": only its deletes. */
let refusing: boolean | "deletes" = false;
const refused = () => new StorageError("ERR_STORAGE_FULL", "Could not write the alarm: the disk is full; free some space");
const placement = stagedPlacement({
  attach: (host) => void host.wakeAlarms(),
  alarmRecords: (storage) => {
    const kv = storage.kv("__yparty:alarms");
    return {
      get: (key) => kv.get(key),
      put: async (key, value) => {
        if (refusing === true) throw refused();
        await kv.put(key, value);
      },
      delete: async (key) => {
        if (refusing) throw refused();
        return kv.delete(key);
      },
      list: () => kv.list(),
    };
  },
});

const BASE_MS = 150;
const failures = (server: TestServer, event: string) => server.logs.filter((entry) => entry.event === event);
/** How many doublings of BASE_MS each logged try waits (its next try's time less the time it was logged). */
const doublings = (entries: TestServer["logs"]) =>
  entries.map((entry) => Math.abs(Math.round(Math.log2((Date.parse(String(entry.at)) - Date.parse(entry.time)) / BASE_MS))));

const Alarmed = alarmedParty();

it("an alarm whose start the storage refuses is tried again later and later, not every alarmRetryBaseMs; it runs once the storage writes", async () => {
  refusing = false;
  const server = await startServer({ main: Alarmed }, { storage: "memory", placement, limits: { alarmRetries: 0, alarmRetryBaseMs: BASE_MS } });
  expect((await fetch(`${server.url}/parties/main/full?in=100`, { method: "POST" })).status).toBe(200);
  refusing = true;
  await expect.poll(() => failures(server, "alarm.start_failed").length, { timeout: 10_000, interval: 10 }).toBe(4);
  const logged = failures(server, "alarm.start_failed");
  for (const entry of logged) expect(entry).toMatchObject({ level: "error", code: "ERR_STORAGE_FULL", room: "full" });
  // Each next try is set twice as far off as the one before (before: BASE_MS each time).
  expect(doublings(logged)).toEqual([0, 1, 2, 3]);
  refusing = false;
  const state = alarmState(server, "full");
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 1, alarm: null });
});

it("an alarm whose end the storage refuses to write runs again later and later, not every alarmRetryBaseMs", async () => {
  refusing = false;
  const server = await startServer({ main: Alarmed }, { storage: "memory", placement, limits: { alarmRetries: 0, alarmRetryBaseMs: BASE_MS } });
  expect((await fetch(`${server.url}/parties/main/ends?in=100`, { method: "POST" })).status).toBe(200);
  refusing = "deletes";
  await expect.poll(() => failures(server, "alarm.settle_failed").length, { timeout: 10_000, interval: 10 }).toBe(4);
  const logged = failures(server, "alarm.settle_failed");
  for (const entry of logged) expect(entry).toMatchObject({ level: "error", code: "ERR_STORAGE_FULL", room: "ends" });
  // Before: BASE_MS each time, and no `at` (its onAlarm run again each time).
  expect(doublings(logged)).toEqual([0, 1, 2, 3]);
  refusing = false;
  const state = alarmState(server, "ends");
  // Run once more (at least once: its end was not written), and settled.
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 5, alarm: null });
  await expect
    .poll(
      () =>
        server.server.storage
          .kv("__yparty:alarms")
          .list()
          .then((records) => records.size),
      { timeout: 10_000, interval: 50 },
    )
    .toBe(0);
});
