/**
 * A wake of the stored alarms (the cluster leader's, once per lease TTL) that comes while an alarm is in hand: its timer
 * fired, and its room's claim (or its onAlarm) is under way. The alarm was no longer armed, so the wake armed it again at
 * its stored time, long past: once the try failed for a reason of the moment and was deferred, the wake's copy ran at
 * once, and the deferral's backoff (h150) was undone by every wake landing during a try — as likely as a claim is slow
 * (PostgreSQL out of reach: each try waits out the query timeout, longer than the TTL).
 *
 * Held too: an alarm in hand while a wake comes runs once when its try succeeds.
 */
import { afterEach, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { RuntimeError } from "../../src/runtime/index.js";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { stagedPlacement } from "../helpers/staged-placement.js";
import { alarmedParty, alarmState, Target } from "./alarm-fixtures.js";

afterEach(cleanupAll);

/** The room whose claims wait for the test (`claimsHeld`), then are refused or granted as it says. */
let held: string | undefined;
/** The room whose claims are refused at once (a stub's call to it fails: onAlarm fails for a reason of the moment). */
let refused: string | undefined;
let claimsHeld: Array<(refuse: boolean) => void> = [];
let host: Party.PlacementHost | undefined;
const placement = stagedPlacement({
  attach: (attached) => {
    host = attached;
    void attached.wakeAlarms();
  },
  claim: (party, roomId) => {
    if (`${party}/${roomId}` === refused)
      return Promise.reject(new RuntimeError("ERR_ROOM_UNAVAILABLE", `Redis cannot be reached to claim ${refused}; try again`, 503));
    if (`${party}/${roomId}` !== held) return Promise.resolve(undefined);
    return new Promise((resolve, reject) =>
      claimsHeld.push((refuse) =>
        refuse ? reject(new RuntimeError("ERR_ROOM_UNAVAILABLE", `Redis cannot be reached to claim ${held}; try again`, 503)) : resolve(undefined),
      ),
    );
  },
});

const BASE_MS = 300;
const limits = { alarmRetries: 0, alarmRetryBaseMs: BASE_MS };

const startFailures = (server: TestServer) => server.logs.filter((entry) => entry.event === "alarm.start_failed");
const deferrals = (server: TestServer) => server.logs.filter((entry) => entry.event === "alarm.deferred");

/** A server restarted with an alarm of main/s due at once, whose claim of the room is under way (held). */
async function alarmInHand(): Promise<TestServer> {
  held = undefined;
  refused = undefined;
  claimsHeld = [];
  const first = await startServer({ main: Alarmed, target: Target }, { placement, limits });
  expect((await fetch(`${first.url}/parties/main/s?in=1500`, { method: "POST" })).status).toBe(200);
  // Restarted before it is due: woken by the new server, which must claim the room to run it.
  held = "main/s";
  const server = await first.restart();
  await expect.poll(() => claimsHeld.length, { timeout: 10_000, interval: 10 }).toBe(1);
  return server;
}

const Alarmed = alarmedParty({ asksTarget: true });

it("a wake while an alarm's claim is under way leaves it to its try: refused, it waits out its backoff, not tried again at once", async () => {
  const server = await alarmInHand();
  // The leader's wake, while the try waits for the claim.
  await host!.wakeAlarms();
  claimsHeld.shift()!(true);
  await expect.poll(() => startFailures(server).length, { timeout: 10_000, interval: 10 }).toBe(1);
  const [first] = startFailures(server);
  // Before: the wake's copy, armed at the alarm's stored time, tried the claim at once (a second claim, BASE_MS early).
  await expect.poll(() => claimsHeld.length, { timeout: 10_000, interval: 10 }).toBe(1);
  expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(String(first!.at)));
  held = undefined;
  claimsHeld.shift()!(false);
  const state = alarmState(server, "s");
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 1, alarm: null });
  expect(startFailures(server)).toHaveLength(1);
});

it("held: a wake while an alarm's claim is under way, the claim granted: it runs once", async () => {
  const server = await alarmInHand();
  await host!.wakeAlarms();
  held = undefined;
  claimsHeld.shift()!(false);
  const state = alarmState(server, "s");
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 1, alarm: null });
  // Another wake once it ran: nothing left to run.
  await host!.wakeAlarms();
  expect(await state()).toEqual({ runs: 1, alarm: null });
  expect(startFailures(server)).toEqual([]);
});

it("an alarm of a room not loaded: the room its firing loads (and claims) leaves it to its try; its onAlarm deferred waits out its backoff", async () => {
  const server = await alarmInHand();
  refused = "target/t";
  // The claim granted: the firing loads the room, whose creation arms the stored alarm of the room it claimed.
  held = undefined;
  claimsHeld.shift()!(false);
  await expect.poll(() => deferrals(server).length, { timeout: 10_000, interval: 10 }).toBe(2);
  const [first, second] = deferrals(server);
  // Before: armed again at its stored time as the room loaded, it was tried again at once after its first deferral.
  expect(Date.parse(second!.time)).toBeGreaterThanOrEqual(Date.parse(String(first!.at)));
  refused = undefined;
  const state = alarmState(server, "s");
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 1, alarm: null });
});
