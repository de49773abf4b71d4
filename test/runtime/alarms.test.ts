import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { ALARMS_KV_NAME, AlarmScheduler } from "../../src/runtime/alarms.js";
import type * as Party from "../../src/runtime/index.js";
import { silentLogger, type LogEntry } from "../../src/runtime/index.js";
import { cleanupAll, deferred, startServer, waitFor, type Deferred } from "../helpers/server.js";

afterEach(cleanupAll);

/** POST ?in=ms sets an alarm; GET reports the alarm and how often onAlarm ran (stored, so it survives restarts). */
function alarmParty(fired: { current: Deferred<string> }) {
  return class Alarmed implements Party.Server {
    constructor(readonly room: Party.Room) {}
    async onRequest(req: Party.Request) {
      const delay = new URL(req.url).searchParams.get("in");
      if (req.method === "POST" && delay) await this.room.storage.setAlarm(Date.now() + Number(delay));
      if (req.method === "DELETE") await this.room.storage.deleteAlarm();
      return Response.json({ alarm: await this.room.storage.getAlarm(), runs: (await this.room.storage.get<number>("runs")) ?? 0 });
    }
    async onAlarm() {
      await this.room.storage.put("runs", ((await this.room.storage.get<number>("runs")) ?? 0) + 1);
      fired.current.resolve(this.room.id);
    }
  };
}

describe("alarms", () => {
  it("fires onAlarm once at the set time, then clears it; deleteAlarm cancels", async () => {
    const fired = { current: deferred<string>() };
    const { url } = await startServer({ main: alarmParty(fired) }, { storage: "memory" });
    const set = await (await fetch(`${url}/party/a1?in=30`, { method: "POST" })).json();
    expect(set.alarm).toBeGreaterThan(Date.now() - 1000);
    expect(await waitFor(fired.current.promise, "onAlarm")).toBe("a1");
    const after = await (await fetch(`${url}/party/a1`)).json();
    expect(after).toEqual({ alarm: null, runs: 1 });

    await fetch(`${url}/party/a2?in=60000`, { method: "POST" });
    expect(await (await fetch(`${url}/party/a2`, { method: "DELETE" })).json()).toEqual({ alarm: null, runs: 0 });
  });

  it("survives a restart on LevelDB and fires once in the new process", async () => {
    const fired = { current: deferred<string>() };
    let firedInFirst = false;
    void fired.current.promise.then(() => (firedInFirst = true));
    const first = await startServer({ main: alarmParty(fired) });
    // Far enough ahead that the fsync'd write and the stop happen before it, even on a slow disk.
    await fetch(`${first.url}/party/later?in=3000`, { method: "POST" });
    await first.stop();
    expect(firedInFirst).toBe(false);

    fired.current = deferred<string>();
    const second = await first.restart();
    expect(second.logs.find((e) => e.event === "server.listening")?.alarms).toBe(1);
    expect(await waitFor(fired.current.promise, "onAlarm after the restart", 10_000)).toBe("later");
    expect(await (await fetch(`${second.url}/party/later`)).json()).toEqual({ alarm: null, runs: 1 });

    const third = await second.restart();
    expect(third.logs.find((e) => e.event === "server.listening")?.alarms).toBe(0);
    expect(await (await fetch(`${third.url}/party/later`)).json()).toEqual({ alarm: null, runs: 1 });
  });

  it("fires an alarm that fell due while the server was down as soon as it starts", async () => {
    const fired = { current: deferred<string>() };
    const first = await startServer({ main: alarmParty(fired) });
    await fetch(`${first.url}/party/overdue?in=60000`, { method: "POST" });
    await first.stop();
    // The process was down past the alarm's time: move the stored alarm into the past.
    const storage = await openStorage({ dir: first.dir! });
    const alarms = storage.kv(ALARMS_KV_NAME);
    const record = (await alarms.get<{ time: number }>("main/overdue"))!;
    await alarms.put("main/overdue", { ...record, time: Date.now() - 60_000 });
    await storage.close();
    await first.restart();
    expect(await waitFor(fired.current.promise, "the overdue alarm")).toBe("overdue");
  });

  it("retries a throwing onAlarm with doubling waits until it succeeds; getAlarm() is null while it runs", async () => {
    const calls: Array<{ at: number; alarm: number | null }> = [];
    const succeeded = deferred<void>();
    class Flaky implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest() {
        await this.room.storage.setAlarm(Date.now());
        return new Response("set");
      }
      async onAlarm() {
        calls.push({ at: performance.now(), alarm: await this.room.storage.getAlarm() });
        if (calls.length < 3) throw new Error(`flaky ${calls.length}`);
        succeeded.resolve();
      }
    }
    const { url, logs } = await startServer({ main: Flaky }, { storage: "memory", limits: { alarmRetryBaseMs: 40 } });
    await fetch(`${url}/party/flaky`, { method: "POST" });
    await waitFor(succeeded.promise, "the third attempt");
    expect(calls.map((c) => c.alarm)).toEqual([null, null, null]);
    const waits = [calls[1]!.at - calls[0]!.at, calls[2]!.at - calls[1]!.at];
    expect(waits[0]).toBeGreaterThanOrEqual(38); // 40 ms, then 80 ms (timers may run a hair early)
    expect(waits[1]).toBeGreaterThanOrEqual(78);
    expect(logs.filter((e) => e.event === "alarm.retry_scheduled").map((e) => e.retry)).toEqual([1, 2]);
  });

  it("gives up after limits.alarmRetries retries, says so in the log, and keeps the room working", async () => {
    let calls = 0;
    class Broken implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        if (req.method === "POST") await this.room.storage.setAlarm(Date.now());
        return Response.json({ alarm: await this.room.storage.getAlarm(), calls });
      }
      onAlarm() {
        calls++;
        throw new Error("always broken");
      }
    }
    const { url, server } = await startServer({ main: Broken }, { storage: "memory", limits: { alarmRetries: 2, alarmRetryBaseMs: 5 } });
    const dropped = new Promise<LogEntry>((resolve) => server.logger.subscribe((e) => e.event === "alarm.gave_up" && resolve(e)));
    await fetch(`${url}/party/broken`, { method: "POST" });
    const gaveUp = await waitFor(dropped, "the alarm to be dropped");
    expect(gaveUp).toMatchObject({ code: "ERR_ALARM_FAILED", party: "main", room: "broken" });
    expect(await (await fetch(`${url}/party/broken`)).json()).toEqual({ alarm: null, calls: 3 });
  });

  it("fires again, on the next start, an alarm whose onAlarm a crash cut off (at least once)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "yparty-alarm-crash-"));
    try {
      const first = await openStorage({ dir });
      const started = deferred<void>();
      const crashed = new AlarmScheduler(first.kv(ALARMS_KV_NAME), () => (started.resolve(), new Promise<void>(() => {})), silentLogger(), { retries: 6, baseMs: 2000 });
      await crashed.forRoom("main", "cut-off").set(Date.now());
      await waitFor(started.promise, "onAlarm to start");
      await first.close(); // the handler never returns: the process died inside it

      const second = await openStorage({ dir });
      const fired = deferred<string>();
      const next = new AlarmScheduler(second.kv(ALARMS_KV_NAME), async (_party, roomId) => fired.resolve(roomId), silentLogger(), { retries: 6, baseMs: 2000 });
      expect(await next.restore()).toBe(1);
      expect(await waitFor(fired.promise, "the alarm to fire again")).toBe("cut-off");
      await next.stop();
      expect(await second.kv(ALARMS_KV_NAME).list()).toEqual(new Map()); // done now: deleted
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

