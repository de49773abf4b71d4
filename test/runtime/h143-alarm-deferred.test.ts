/**
 * An onAlarm that fails for a reason of the moment, not of its code (h143): here a `context.parties` stub's fetch to a
 * room whose claim is refused as a cluster refuses it while Redis cannot be reached (a retryable 503, staged with a
 * placement as in h131-stub-unavailable). Before, each such failure used up one of the alarm's retries, and with them
 * gone (here `alarmRetries: 0`) the alarm was dropped (`alarm.gave_up`, an error) though its code never failed. Now the
 * alarm is stored back unchanged (`alarm.deferred`, a warning) and runs again after `alarmRetryBaseMs`, its retries
 * intact; a throw of the code itself still counts.
 */
import { afterEach, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { RuntimeError } from "../../src/runtime/index.js";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage } from "../../persistence/index.js";
import { storageName } from "../../src/runtime/room-names.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { stagedPlacement } from "../helpers/staged-placement.js";
import { alarmedParty, alarmState, Target } from "./alarm-fixtures.js";

afterEach(cleanupAll);

let refusing = true;
/** Every room is served here; `target/t`'s claim is refused while `refusing`, as in a partition. */
const placement = stagedPlacement({
  claim: async (party) => {
    if (party === "target" && refusing) throw new RuntimeError("ERR_ROOM_UNAVAILABLE", "Redis cannot be reached to claim target/t; try again", 503);
    return undefined;
  },
});

const limits = { alarmRetries: 0, alarmRetryBaseMs: 200 };

const Alarmed = alarmedParty({ asksTarget: true });

it("an onAlarm failing for a reason of the moment is stored back, not counted as a retry, and runs once the moment passed", async () => {
  refusing = true;
  const server = await startServer({ main: Alarmed, target: Target }, { storage: "memory", placement, limits });
  expect((await fetch(`${server.url}/parties/main/a`, { method: "POST" })).status).toBe(200);
  const deferred = await server.logged("alarm.deferred");
  expect(deferred).toMatchObject({ level: "warn", code: "ERR_ROOM_UNAVAILABLE", party: "main", room: "a" });
  expect(String(deferred.message)).toMatch(
    /reason of the moment, not of its code \(Redis cannot be reached to claim target\/t; try again\); not counted as a retry/,
  );
  refusing = false;
  const state = alarmState(server, "a");
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 1, alarm: null });
  expect(server.logs.filter((entry) => entry.event === "alarm.gave_up" || entry.event === "alarm.retry_scheduled")).toEqual([]);
});

it("a throw of the code itself still counts: with no retries left, the alarm is dropped with an error", async () => {
  refusing = false;
  const server = await startServer({ main: Alarmed, target: Target }, { storage: "memory", placement, limits });
  expect((await fetch(`${server.url}/parties/main/b?throws`, { method: "POST" })).status).toBe(200);
  expect(await server.logged("alarm.gave_up")).toMatchObject({ level: "error", code: "ERR_ALARM_FAILED" });
  expect(server.logs.some((entry) => entry.event === "alarm.deferred")).toBe(false);
});

it("deferrals in a row wait twice as long each time: an outage is not a try and a warning every alarmRetryBaseMs", async () => {
  refusing = true;
  const server = await startServer({ main: Alarmed, target: Target }, { storage: "memory", placement, limits });
  expect((await fetch(`${server.url}/parties/main/c`, { method: "POST" })).status).toBe(200);
  const deferrals = () => server.logs.filter((entry) => entry.event === "alarm.deferred" && entry.room === "c");
  await expect.poll(() => deferrals().length, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(3);
  const at = deferrals().map((entry) => Date.parse(String(entry.at)));
  // Each next try is set at least 200 ms × 2^n after the one before ran (before: 200 ms every time).
  expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(400);
  expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(800);
  refusing = false;
  const state = alarmState(server, "c");
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 1, alarm: null });
});

it("one a crash cut off (stored running), deferred: getAlarm still shows it while it waits, as for any deferred alarm", async () => {
  refusing = true;
  const dir = await mkdtemp(join(tmpdir(), "yparty-test-"));
  const storage = await openStorage({ dir });
  const record = { party: "main", roomId: "c", time: Date.now(), id: "cut-off", running: true };
  await storage.kv("__yparty:alarms").put(storageName("main", "c"), record);
  await storage.close();
  // (the placement wakes the stored alarms as a cluster's leader does)
  const waking: Party.RoomPlacement = { ...placement, attach: (host) => void host.wakeAlarms() };
  const server = await startServer({ main: Alarmed, target: Target }, { dir, placement: waking, limits });
  expect(await server.logged("alarm.deferred")).toMatchObject({ party: "main", room: "c" });
  const state = alarmState(server, "c");
  // Before: {alarm: null}: stored back marked running, so the room's code saw no alarm while it waited.
  expect(await state()).toEqual({ runs: 0, alarm: record.time });
  refusing = false;
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 1, alarm: null });
});
