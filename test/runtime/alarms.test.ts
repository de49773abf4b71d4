import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStorage, type KvStore } from "../../persistence/index.js";
import { ALARMS_KV_NAME, AlarmScheduler } from "../../src/runtime/alarms.js";
import type * as Party from "../../src/runtime/index.js";
import { createServer, silentLogger, type LogEntry } from "../../src/runtime/index.js";
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

/** A party whose POST sets an alarm due now, and whose `onAlarm` is `onAlarm(room)`. */
function firesNow(onAlarm: (room: Party.Room) => void | Promise<void>) {
  return class FiresNow implements Party.Server {
    constructor(readonly room: Party.Room) {}
    async onRequest() {
      await this.room.storage.setAlarm(Date.now());
      return new Response("set");
    }
    onAlarm() {
      return onAlarm(this.room);
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
    const Flaky = firesNow(async (room) => {
      calls.push({ at: performance.now(), alarm: await room.storage.getAlarm() });
      if (calls.length < 3) throw new Error(`flaky ${calls.length}`);
      succeeded.resolve();
    });
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
      const crashed = new AlarmScheduler(first.kv(ALARMS_KV_NAME), () => (started.resolve(), new Promise<void>(() => {})), silentLogger(), {
        retries: 6,
        baseMs: 2000,
      });
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

  it("keeps an alarm the handler sets without awaiting it, as Durable Objects allow (a chain of three on LevelDB)", async () => {
    let fired = 0;
    const third = deferred<void>();
    const Chained = firesNow((room) => {
      fired++;
      if (fired < 3)
        void room.storage.setAlarm(Date.now() + 20); // not awaited: it must not be lost
      else third.resolve();
    });
    const { url } = await startServer({ main: Chained });
    await fetch(`${url}/party/chain`, { method: "POST" });
    await waitFor(third.promise, "the third alarm of the chain");
    expect(fired).toBe(3);
  });

  it("runs one onAlarm at a time per room: an alarm due while one runs waits for it", async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    const second = deferred<void>();
    const queued = deferred<void>();
    const Slow = firesNow(async (room) => {
      running++;
      most = Math.max(most, running);
      calls++;
      if (calls === 1) {
        await room.storage.setAlarm(Date.now()); // due at once, while this one still works
        await queued.promise; // works on until the second is due and waiting
      } else {
        second.resolve();
      }
      running--;
    });
    const { url, server } = await startServer({ main: Slow }, { storage: "memory" });
    server.logger.subscribe((entry) => entry.event === "alarm.queued" && queued.resolve());
    await fetch(`${url}/party/slow`, { method: "POST" });
    await waitFor(second.promise, "the second alarm");
    expect({ calls, most }).toEqual({ calls: 2, most: 1 });
  });

  it("takes alarmRetries: 0 as no retries, and refuses a fractional count", async () => {
    let calls = 0;
    const Once = firesNow(() => {
      calls++;
      throw new Error("fails once, for good");
    });
    expect(() => createServer({ parties: { main: Once }, persist: false, logger: silentLogger(), limits: { alarmRetries: 1.5 } })).toThrow(
      'Limit "alarmRetries" must be a whole number, 0 or more, got 1.5',
    );
    const { url, server } = await startServer({ main: Once }, { storage: "memory", limits: { alarmRetries: 0 } });
    const dropped = new Promise<LogEntry>((resolve) => server.logger.subscribe((e) => e.event === "alarm.gave_up" && resolve(e)));
    await fetch(`${url}/party/once`, { method: "POST" });
    await waitFor(dropped, "the alarm to be dropped");
    expect(calls).toBe(1);
  });

  it("tries an alarm again later when storage fails as it starts or settles, instead of leaving it stuck", async () => {
    const storage = await openStorage({ memory: true });
    const kv = storage.kv(ALARMS_KV_NAME);
    let failures = 2; // the write that marks it running, then the delete once onAlarm returned
    const fail = () => (failures--, Promise.reject(new Error("disk full (simulated)")));
    const faults: Partial<KvStore> = {
      put: ((key: string, value: unknown) => ((value as { running?: boolean }).running && failures === 2 ? fail() : kv.put(key, value))) as KvStore["put"],
      delete: ((key: string) => (failures === 1 ? fail() : kv.delete(key))) as KvStore["delete"],
    };
    const flaky = new Proxy(kv, {
      get: (target, name) => faults[name as keyof KvStore] ?? (Reflect.get(target, name) as () => unknown).bind(target),
    });
    let calls = 0;
    const done = deferred<void>();
    const scheduler = new AlarmScheduler(flaky, async () => void (++calls === 2 && done.resolve()), silentLogger(), { retries: 6, baseMs: 10 });
    await scheduler.forRoom("main", "flaky-disk").set(Date.now());
    await waitFor(done.promise, "onAlarm to run again after the failed settle");
    await scheduler.stop();
    expect(calls).toBe(2); // once after the failed start (none ran), again after the failed delete (at least once)
    expect(await kv.list()).toEqual(new Map());
    await storage.close();
  });

  it("lets getAlarm() see a setAlarm() that was not awaited", async () => {
    class Peek implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest() {
        void this.room.storage.setAlarm(Date.now() + 60_000);
        return Response.json({ seen: (await this.room.storage.getAlarm()) !== null });
      }
    }
    const { url } = await startServer({ main: Peek }, { storage: "memory" });
    expect(await (await fetch(`${url}/party/peek`)).json()).toEqual({ seen: true });
  });
});
