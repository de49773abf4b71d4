/**
 * An alarm deferred for a reason of the moment (h143) waits twice as long each time, up to 60 s. That backoff belongs to
 * the alarm deferred: an alarm set in its place (setAlarm), or set after a deleteAlarm, is a new one, and its first
 * deferral waits `alarmRetryBaseMs`. Before, the count of deferrals in a row outlived the alarm it counted: the new
 * alarm's first deferral waited as long as the old one's next would have (here 1.6 s, not 200 ms; after an outage of
 * some minutes, 60 s for an alarm deferred once).
 *
 * The room's log of each such failure (room.hook_failed) was an error, ERR_HOOK_FAILED, though the scheduler defers the
 * alarm as no fault of the code (alarm.deferred, a warning): an operator was paged every try of an outage. It is a
 * warning with the moment's code, as for a message's handler.
 *
 * What held up is here too: an alarm set in the place of a deferred one runs at its own time, not the backoff's, and a
 * restart or a reload of the code while an alarm is deferred runs it once the moment passed.
 */
import { afterEach, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { RuntimeError } from "../../src/runtime/index.js";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { stagedPlacement } from "../helpers/staged-placement.js";
import { type AlarmState, alarmedParty, Target } from "./alarm-fixtures.js";

afterEach(cleanupAll);

let refusing = true;
/** The server's side of the placement: `wakeAlarms()` is what the cluster's leader calls once per lease TTL. */
let host: Party.PlacementHost | undefined;
/**
 * Every room is served here; `target/t`'s claim is refused while `refusing`, as in a partition (h143-alarm-deferred).
 * Stored alarms are woken at the start, as the node a cluster picks wakes them.
 */
const placement = stagedPlacement({
  attach: (attached) => {
    host = attached;
    void attached.wakeAlarms();
  },
  claim: async (party) => {
    if (party === "target" && refusing) throw new RuntimeError("ERR_ROOM_UNAVAILABLE", "Redis cannot be reached to claim target/t; try again", 503);
    return undefined;
  },
});

const BASE_MS = 200;
const limits = { alarmRetries: 0, alarmRetryBaseMs: BASE_MS };
const parties = { main: alarmedParty({ asksTarget: true }), target: Target };

const deferrals = (server: TestServer, room: string) => server.logs.filter((entry) => entry.event === "alarm.deferred" && entry.room === room);
/**
 * How many doublings of BASE_MS each deferral of `room` waits (0: BASE_MS), its wait being its next try's time less the
 * time it was logged (a few ms after that try was set).
 */
const doublings = (server: TestServer, room: string) =>
  deferrals(server, room).map((entry) => Math.abs(Math.round(Math.log2((Date.parse(String(entry.at)) - Date.parse(entry.time)) / BASE_MS))));
const request = async (server: TestServer, room: string, method = "GET") => {
  const response = await fetch(`${server.url}/parties/main/${room}`, { method });
  expect(response.status).toBe(200);
  return (await response.json()) as AlarmState;
};

/** An alarm of `room` deferred three times in a row: its next deferral would wait 8 × BASE_MS. */
async function deferredThrice(server: TestServer, room: string): Promise<void> {
  await request(server, room, "POST");
  await expect.poll(() => deferrals(server, room).length, { timeout: 10_000, interval: 20 }).toBe(3);
}

it("an alarm set in the place of a deferred one starts with no backoff: its first deferral waits alarmRetryBaseMs", async () => {
  refusing = true;
  const server = await startServer(parties, { storage: "memory", placement, limits });
  await deferredThrice(server, "replaced");
  await request(server, "replaced", "POST");
  await expect.poll(() => deferrals(server, "replaced").length, { timeout: 10_000, interval: 20 }).toBe(4);
  // The old alarm's waited BASE_MS, then twice, then four times that; the new one's BASE_MS (before: 8 × BASE_MS).
  expect(doublings(server, "replaced")).toEqual([0, 1, 2, 0]);
});

it("an alarm set after a deleteAlarm of a deferred one starts with no backoff", async () => {
  refusing = true;
  const server = await startServer(parties, { storage: "memory", placement, limits });
  await deferredThrice(server, "deleted");
  expect(await request(server, "deleted", "DELETE")).toEqual({ runs: 0, alarm: null });
  await request(server, "deleted", "POST");
  await expect.poll(() => deferrals(server, "deleted").length, { timeout: 10_000, interval: 20 }).toBe(4);
  expect(doublings(server, "deleted")).toEqual([0, 1, 2, 0]);
});

it("an onAlarm failing for a reason of the moment logs no error: room.hook_failed is a warning with the moment's code", async () => {
  refusing = true;
  const server = await startServer(parties, { storage: "memory", placement, limits });
  await request(server, "paged", "POST");
  await server.logged("alarm.deferred");
  // Before: an error (ERR_HOOK_FAILED) each try, paging an operator for a partition the alarm waits out.
  expect(await server.logged("room.hook_failed")).toMatchObject({ level: "warn", code: "ERR_ROOM_UNAVAILABLE", hook: "onAlarm", room: "paged" });
  expect(server.logs.filter((entry) => entry.level === "error")).toEqual([]);
});

it("a wake of the stored alarms (the cluster leader's, once per TTL) leaves a deferred alarm to its backoff", async () => {
  refusing = true;
  const server = await startServer(parties, { storage: "memory", placement, limits });
  await deferredThrice(server, "woken");
  // The third deferral set the next try 4 × BASE_MS off; the wake comes before it.
  await host!.wakeAlarms();
  await expect.poll(() => deferrals(server, "woken").length, { timeout: 10_000, interval: 20 }).toBe(4);
  const [, , third, fourth] = deferrals(server, "woken");
  // Before: re-armed at its stored time, long past, it was tried at once: a backoff capped at the lease TTL (10 s).
  expect(Date.parse(fourth!.time)).toBeGreaterThanOrEqual(Date.parse(String(third!.at)));
  expect(doublings(server, "woken")).toEqual([0, 1, 2, 3]);
});

it("held: an alarm set in the place of a deferred one runs at its own time, not at the backoff's", async () => {
  refusing = true;
  const server = await startServer(parties, { storage: "memory", placement, limits });
  await deferredThrice(server, "own-time");
  const [, , , next] = deferrals(server, "own-time").map((entry) => Date.parse(String(entry.at)));
  refusing = false;
  // The deferred alarm's next try is 800 ms off: the new one, due now, runs before it.
  await request(server, "own-time", "POST");
  await expect.poll(() => request(server, "own-time"), { timeout: 10_000, interval: 20 }).toEqual({ runs: 1, alarm: null });
  expect(Date.now()).toBeLessThan(next ?? Number.POSITIVE_INFINITY);
  expect(deferrals(server, "own-time")).toHaveLength(3);
});

it("held: a restart (LevelDB) while an alarm is deferred runs it once the moment passed, its retries intact", async () => {
  refusing = true;
  const server = await startServer(parties, { placement, limits });
  await deferredThrice(server, "restarted");
  refusing = false;
  const restarted = await server.restart();
  await expect.poll(() => request(restarted, "restarted"), { timeout: 10_000, interval: 20 }).toEqual({ runs: 1, alarm: null });
  expect(restarted.logs.filter((entry) => entry.level === "error" || entry.event === "alarm.gave_up")).toEqual([]);
});

it("held: a reload of the code while an alarm is deferred keeps it; it runs once the moment passed", async () => {
  refusing = true;
  const server = await startServer(parties, { storage: "memory", placement, limits });
  await deferredThrice(server, "reloaded");
  await server.server.reload(parties);
  refusing = false;
  await expect.poll(() => request(server, "reloaded"), { timeout: 10_000, interval: 20 }).toEqual({ runs: 1, alarm: null });
  expect(server.logs.filter((entry) => entry.level === "error")).toEqual([]);
});
