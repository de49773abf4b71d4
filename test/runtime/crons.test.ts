import { afterEach, describe, expect, it } from "vitest";
import { parseCron } from "../../src/runtime/cron-expression.js";
import type * as Party from "../../src/runtime/index.js";
import { createServer, RuntimeError, silentLogger } from "../../src/runtime/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

const next = (expression: string, after: string): string => parseCron(expression).next(new Date(after)).toISOString();

describe("cron expressions (UTC)", () => {
  it("finds the next time for fields, ranges, steps, lists and names", () => {
    expect(next("*/15 * * * *", "2026-11-23T10:07:30Z")).toBe("2026-11-23T10:15:00.000Z");
    expect(next("0 9-17/4 * * MON-FRI", "2026-11-21T12:00:00Z")).toBe("2026-11-23T09:00:00.000Z"); // Saturday → Monday
    expect(next("30 23 * * *", "2026-12-31T23:30:00Z")).toBe("2027-01-01T23:30:00.000Z"); // strictly after
    expect(next("0 0 1 jan,jul *", "2026-02-01T00:00:00Z")).toBe("2026-07-01T00:00:00.000Z");
    expect(next("0 12 29 2 *", "2026-03-01T00:00:00Z")).toBe("2028-02-29T12:00:00.000Z"); // the next leap day
    expect(next("0 0 * * 7", "2026-11-23T00:00:00Z")).toBe("2026-11-29T00:00:00.000Z"); // 7 is Sunday
    expect(next("5/20 * * * *", "2026-11-23T10:26:00Z")).toBe("2026-11-23T10:45:00.000Z");
    expect(next("*/10 * * * * *", "2026-11-23T10:00:01.500Z")).toBe("2026-11-23T10:00:10.000Z"); // seconds in front
  });

  it("matches either day field when both are restricted (Vixie cron), both when one starts with *", () => {
    // The 1st of the month or any Friday.
    expect(next("0 0 1 * FRI", "2026-11-23T00:00:00Z")).toBe("2026-11-27T00:00:00.000Z");
    expect(next("0 0 1 * FRI", "2026-11-28T00:00:00Z")).toBe("2026-12-01T00:00:00.000Z");
    // Every other day of the month that is also a Monday.
    expect(next("0 0 */2 * MON", "2026-11-23T00:00:00Z")).toBe("2026-12-07T00:00:00.000Z");
  });

  it("refuses what it cannot run with ERR_INVALID_CRON and says why", () => {
    const why = (expression: string) => {
      try {
        parseCron(expression);
      } catch (error) {
        expect(error).toBeInstanceOf(RuntimeError);
        expect((error as RuntimeError).code).toBe("ERR_INVALID_CRON");
        return (error as Error).message;
      }
      throw new Error(`accepted ${expression}`);
    };
    expect(why("* * * *")).toContain("it has 4 field(s); write five");
    expect(why("60 * * * *")).toContain('the minute field has "60"; it takes 0-59');
    expect(why("0 0 L * *")).toContain("L, W, # and ? are not supported");
    expect(why("0 0 * * MON#2")).toContain("L, W, # and ? are not supported");
    expect(why("0 0 31 2 *")).toContain("never matches a date");
    expect(why("10-5 * * * *")).toContain("runs backwards");
    expect(why("*/0 * * * *")).toContain("step of 0");
    expect(why("0 0 * FOO *")).toContain('the month field has "FOO"; it takes 1-12 or JAN-DEC');
  });
});

describe("crons", () => {
  it("run the main party's static onCron on schedule, with the schedule and a lobby that reaches rooms", async () => {
    const runs: Party.Cron[] = [];
    let twice!: () => void;
    const ranTwice = new Promise<void>((resolve) => (twice = resolve));
    class Ticker implements Party.Server {
      constructor(readonly room: Party.Room) {}
      async onRequest(req: Party.Request) {
        const count = ((await this.room.storage.get<number>("ticks")) ?? 0) + (req.method === "POST" ? 1 : 0);
        await this.room.storage.put("ticks", count);
        return Response.json({ ticks: count });
      }
      static async onCron(cron: Party.Cron, lobby: Party.CronLobby) {
        await lobby.parties.main!.get("clock").fetch({ method: "POST" });
        runs.push(cron);
        if (runs.length === 2) twice();
      }
    }
    const { url } = await startServer({ main: Ticker }, { storage: "memory", crons: { tick: "* * * * * *" } });
    await waitFor(ranTwice, "two runs of the cron", 10_000);
    expect(runs.map(({ name, cron }) => ({ name, cron }))).toEqual([
      { name: "tick", cron: "* * * * * *" },
      { name: "tick", cron: "* * * * * *" },
    ]);
    expect(runs.map((run) => run.scheduledTime % 1000)).toEqual([0, 0]); // on the second, as scheduled
    // The next second, or a later one if this machine stalled past it (missed runs are not made up).
    expect(runs[1]!.scheduledTime - runs[0]!.scheduledTime).toBeGreaterThanOrEqual(1000);
    expect(((await (await fetch(`${url}/party/clock`)).json()) as { ticks: number }).ticks).toBeGreaterThanOrEqual(2);
  });

  it("log a run that throws and keep the schedule going", async () => {
    let calls = 0;
    let again!: () => void;
    const ranAgain = new Promise<void>((resolve) => (again = resolve));
    class Failing implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onRequest() {
        return new Response("ok");
      }
      static onCron() {
        if (++calls === 2) again();
        throw new Error("cron job broke");
      }
    }
    const { logs } = await startServer({ main: Failing }, { storage: "memory", crons: { broken: "* * * * * *" } });
    await waitFor(ranAgain, "a second run after a failed one", 10_000);
    expect(logs).toContainEqual(expect.objectContaining({ event: "cron.failed", cron: "broken", code: "ERR_HOOK_FAILED" }));
  });

  it("refuse an expression that cannot run when the server is created, and warn when no onCron would run them", async () => {
    class Plain implements Party.Server {
      constructor(readonly room: Party.Room) {}
      onRequest() {
        return new Response("ok");
      }
    }
    expect(() => createServer({ parties: { main: Plain }, persist: false, logger: silentLogger(), crons: { bad: "* * *" } })).toThrow(
      /crons\.bad: Invalid cron expression "\* \* \*"/,
    );
    const { logs } = await startServer({ main: Plain }, { storage: "memory", crons: { orphan: "0 0 * * *" } });
    expect(logs).toContainEqual(expect.objectContaining({ event: "cron.no_handler", message: expect.stringContaining("orphan") }));
  });
});
