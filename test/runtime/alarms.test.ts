import { afterEach, describe, expect, it } from "vitest";
import { openStorage } from "../../persistence/index.js";
import { ALARMS_KV_NAME } from "../../src/runtime/alarms.js";
import type * as Party from "../../src/runtime/index.js";
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
});
