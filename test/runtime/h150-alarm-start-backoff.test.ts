/**
 * An alarm that cannot start for a reason of the moment: its room's claim refused (a node cut off from Redis, the
 * leader waking the stored alarms of rooms no node serves). Each try was logged (alarm.start_failed, a warning since
 * c3793f1) and the next set alarmRetryBaseMs later, for as long as the outage lasted: a try and a warning every 2 s per
 * alarm, what ce1537c ended for an onAlarm failing for such a reason. Tries in a row now back off the same way (the
 * alarm's deferrals: twice as long each time, up to 60 s), and the warning says when the next one is.
 */
import { afterEach, expect, it } from "vitest";
import { RuntimeError } from "../../src/runtime/index.js";
import { cleanupAll, startServer, type TestServer } from "../helpers/server.js";
import { stagedPlacement } from "../helpers/staged-placement.js";
import { alarmedParty, alarmState } from "./alarm-fixtures.js";

afterEach(cleanupAll);

/** The room whose claim is refused, as in a partition; none while undefined. */
let refused: string | undefined;
/** Every room is served here but `refused`; stored alarms are woken at the start, as the node a cluster picks does. */
const placement = stagedPlacement({
  attach: (host) => void host.wakeAlarms(),
  claim: async (party, roomId) => {
    if (`${party}/${roomId}` === refused) throw new RuntimeError("ERR_ROOM_UNAVAILABLE", `Redis cannot be reached to claim ${refused}; try again`, 503);
    return undefined;
  },
});

const BASE_MS = 200;
const limits = { alarmRetries: 0, alarmRetryBaseMs: BASE_MS };

const startFailures = (server: TestServer) => server.logs.filter((entry) => entry.event === "alarm.start_failed");

const Alarmed = alarmedParty();

it("an alarm whose room cannot be claimed now is tried again later and later, not every alarmRetryBaseMs; it runs once the claim is", async () => {
  refused = undefined;
  const first = await startServer({ main: Alarmed }, { placement, limits });
  expect((await fetch(`${first.url}/parties/main/s?in=1500`, { method: "POST" })).status).toBe(200);
  // Restarted before it is due: woken by the new server, whose claims of the room are refused.
  refused = "main/s";
  const server = await first.restart();
  await expect.poll(() => startFailures(server).length, { timeout: 10_000, interval: 20 }).toBe(3);
  const failures = startFailures(server);
  for (const entry of failures) expect(entry).toMatchObject({ level: "warn", code: "ERR_ROOM_UNAVAILABLE", room: "s" });
  // Each next try is set twice as far off as the one before (before: BASE_MS each time, and no `at`).
  const waits = failures.map((entry) => Math.abs(Math.round(Math.log2((Date.parse(String(entry.at)) - Date.parse(entry.time)) / BASE_MS))));
  expect(waits).toEqual([0, 1, 2]);
  refused = undefined;
  const state = alarmState(server, "s");
  await expect.poll(state, { timeout: 10_000, interval: 50 }).toEqual({ runs: 1, alarm: null });
  expect(server.logs.filter((entry) => entry.level === "error")).toEqual([]);
});
