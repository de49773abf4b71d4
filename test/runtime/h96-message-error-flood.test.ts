/**
 * A throwing onMessage is only logged and the connection stays open (h91, as on PartyKit): a client sending what the
 * handler cannot take, as fast as it can, wrote one error line with its stack per message. The same failure (hook
 * and error message) is now logged once per 10 s; the repeats are counted in the next line logged of that kind.
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { RepeatedFailures } from "../../src/runtime/repeated-failures.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

describe("an onMessage that throws on every message of a flood", () => {
  it("logs each kind of failure once, and the connection goes on", async () => {
    class Fragile implements Party.Server {
      onMessage(message: string | ArrayBuffer | ArrayBufferView, sender: Party.Connection) {
        if (message === "bad") throw new Error("cannot take bad");
        if (message === "worse") throw new Error("cannot take worse");
        sender.send(`ok ${String(message)}`);
      }
    }
    const { wsUrl, logs } = await startServer({ main: Fragile }, { storage: "memory" });
    const client = connect(wsUrl("/parties/main/f?_pk=flood"));
    await client.opened;
    for (let i = 0; i < 2_000; i++) client.send(i % 100 === 99 ? "worse" : "bad");
    client.send("after");
    expect(await client.next()).toBe("ok after");
    const failures = logs.filter((entry) => entry.event === "room.hook_failed");
    expect(failures.map((entry) => (entry.error as Error).message)).toEqual(["cannot take bad", "cannot take worse"]);
    expect(failures[0]).toMatchObject({ level: "error", code: "ERR_HOOK_FAILED", hook: "onMessage", room: "f", connection: "flood" });
  });
});

describe("RepeatedFailures", () => {
  it("lets a kind through once per window, with how many it held back since", () => {
    const failures = new RepeatedFailures(10_000);
    const boom = new Error("boom");
    expect(failures.admit("onMessage", boom, 0)).toEqual({ log: true, repeated: 0 });
    expect(failures.admit("onMessage", new Error("boom"), 1)).toEqual({ log: false, repeated: 0 });
    expect(failures.admit("message listener", boom, 2)).toEqual({ log: true, repeated: 0 }); // another hook
    expect(failures.admit("onMessage", new Error("other"), 3)).toEqual({ log: true, repeated: 0 }); // another message
    expect(failures.admit("onMessage", boom, 9_999)).toEqual({ log: false, repeated: 0 });
    expect(failures.admit("onMessage", boom, 10_000)).toEqual({ log: true, repeated: 2 });
    expect(failures.admit("onMessage", boom, 20_000)).toEqual({ log: true, repeated: 0 });
  });
});
