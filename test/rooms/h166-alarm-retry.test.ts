/**
 * A room type's `onAlarm` that throws is retried as any party's is (the runtime's backoff, `alarmRetries` at most):
 * the rooms layer, which shares the room's alarm with the type, marked the type's part done as the alarm fired, so
 * the runtime's retry found nothing of the type's due and ran no hook (helper 166).
 */
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { roomPartyName } from "../../src/rooms/room-party.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";
import { cleanupAll, pollUntil, waitFor, type TestServer } from "../helpers/server.js";
import { rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

const fired = new EventEmitter();

/** Its input arms its alarm `data.ms` ahead; its `onAlarm` throws the first `data.throws` times. */
const flaky = defineRoomType<{ throws: number; runs: number }>({
  onCreate() {
    this.state = { throws: 0, runs: 0 };
  },
  async onInput({ data }) {
    const { ms, throws } = data as { ms: number; throws: number };
    this.state.throws = throws;
    await this.partyRoom.storage.setAlarm(Date.now() + ms);
  },
  onAlarm() {
    this.state.runs++;
    fired.emit("alarm", this.state.runs);
    if (this.state.runs <= this.state.throws) throw new Error(`onAlarm fails (run ${this.state.runs})`);
  },
});

/** A room `room` whose alarm fires in 30 ms and whose onAlarm throws `throws` times; every run of it, counted. */
async function armed(server: TestServer, room: string, throws: number): Promise<number[]> {
  const client = rawClient(server);
  await client.handshake({ token: "dev:ada" });
  expect((await client.request("room.join_or_create", { room_type: "flaky", room })).ok).toBe(true);
  const runs: number[] = [];
  fired.on("alarm", (run: number) => runs.push(run));
  client.send("room.message", { room, type: "arm", data: { ms: 30, throws } });
  return runs;
}

const alarmGone = (server: TestServer, room: string) => async () =>
  (await server.server.storage.kv(ALARMS_KV_NAME).get(`${roomPartyName("flaky")}/${room}`)) === undefined ? true : undefined;

describe("a room type's onAlarm that throws", () => {
  afterEach(() => fired.removeAllListeners());

  // Before: run once; the runtime logged its retry, which ran nothing.
  it("is run again by the runtime's retry, and not after it succeeded", async () => {
    const server = await startRooms({ flaky }, { server: { storage: "leveldb", limits: { alarmRetryBaseMs: 50 } } });
    const second = new Promise((resolve) => fired.on("alarm", (run: number) => run === 2 && resolve(run)));
    const runs = await armed(server, "f1", 1);
    await waitFor(second, "the retry of the alarm");
    await pollUntil("the alarm to be settled", alarmGone(server, "f1"));
    expect(runs).toEqual([1, 2]);
  });

  it("is retried alarmRetries times at most, then dropped", async () => {
    const server = await startRooms({ flaky }, { server: { storage: "memory", limits: { alarmRetryBaseMs: 20, alarmRetries: 2 } } });
    const gaveUp = server.logged("alarm.gave_up");
    const runs = await armed(server, "f2", 100);
    await gaveUp;
    await pollUntil("the alarm to be dropped", alarmGone(server, "f2"));
    expect(runs).toEqual([1, 2, 3]);
  });
});
