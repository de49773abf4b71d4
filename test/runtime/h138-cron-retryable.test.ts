/**
 * `cron.failed` for a run that failed for a reason of the moment (a room no node can serve now: in a cluster, a stub's
 * call while Redis or PostgreSQL is out of reach rejects with a runtime 503, `retryable`) is a warning saying when the
 * cron runs again, not an error; a run that failed for a fault of its code is still an error (h138).
 */
import { afterEach, expect, test } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { RuntimeError } from "../../src/runtime/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

test("a cron run that failed for a reason of the moment is logged at warn with its next run; a fault of the code at error", async () => {
  const failed = new Set<string>();
  let both!: () => void;
  const bothFailed = new Promise<void>((resolve) => (both = resolve));
  class Crons implements Party.Server {
    constructor(readonly room: Party.Room) {}
    onRequest() {
      return new Response("ok");
    }
    static onCron(cron: Party.Cron) {
      failed.add(cron.name);
      if (failed.size === 2) both();
      if (cron.name === "broken") throw new Error("cron job broke");
      // What user code that calls a room stub and wraps its failure throws.
      const unreachable = new RuntimeError("ERR_ROOM_UNAVAILABLE", "No node can serve main/elsewhere now: Redis does not answer; try again", 503);
      throw new Error("could not reach main/elsewhere", { cause: unreachable });
    }
  }
  const { logs } = await startServer({ main: Crons }, { storage: "memory", crons: { momentary: "* * * * * *", broken: "* * * * * *" } });
  await waitFor(bothFailed, "a run of each cron", 10_000);
  await waitFor(
    (async () => {
      while (logs.filter((entry) => entry.event === "cron.failed").length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    "both failures to be logged",
    5_000,
  );
  const momentary = logs.find((entry) => entry.event === "cron.failed" && entry.cron === "momentary")!;
  expect(momentary).toMatchObject({ level: "warn", code: "ERR_ROOM_UNAVAILABLE" });
  expect(momentary.message).toContain("the cron runs again at its next time");
  expect(Date.parse(momentary.nextRun as string)).toBe((momentary.scheduledTime as number) + 1_000);
  expect(logs.find((entry) => entry.event === "cron.failed" && entry.cron === "broken")).toMatchObject({ level: "error", code: "ERR_HOOK_FAILED" });
});
