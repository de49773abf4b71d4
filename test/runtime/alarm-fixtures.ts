/**
 * The parties the runtime's alarm tests drive over HTTP. `alarmedParty()` is a room whose alarm a test sets and reads:
 * POST sets one `?in=` ms from now (now by default; with `?throws`, its onAlarm throws: a fault of the code), DELETE
 * deletes it, and every answer is `{ runs, alarm }` (onAlarm's completed runs, `getAlarm()`). With `asksTarget`, its
 * onAlarm first asks `target/t` (a `Target`, mounted beside it) and catches nothing: a claim of that room refused as in
 * a partition (helpers/staged-placement.ts) fails it for a reason of the moment, not of its code.
 */
import type * as Party from "../../src/runtime/index.js";
import type { TestServer } from "../helpers/server.js";

export class Target implements Party.Server {
  onRequest() {
    return new Response("target");
  }
}

export interface AlarmState {
  runs: number;
  alarm: number | null;
}

export function alarmedParty({ asksTarget = false } = {}) {
  return class Alarmed implements Party.Server {
    constructor(readonly room: Party.Room) {}
    async onRequest(req: Party.Request) {
      const query = new URL(req.url).searchParams;
      if (req.method === "POST") {
        await this.room.storage.put("throws", query.has("throws"));
        await this.room.storage.setAlarm(Date.now() + Number(query.get("in") ?? 0));
      }
      if (req.method === "DELETE") await this.room.storage.deleteAlarm();
      return Response.json({ runs: (await this.room.storage.get<number>("runs")) ?? 0, alarm: await this.room.storage.getAlarm() });
    }
    async onAlarm() {
      if (await this.room.storage.get<boolean>("throws")) throw new Error("a fault of the code");
      if (asksTarget) await this.room.context.parties.target!.get("t").fetch("/");
      await this.room.storage.put("runs", ((await this.room.storage.get<number>("runs")) ?? 0) + 1);
    }
  };
}

/** Reads `main/{room}`'s `{ runs, alarm }`. */
export const alarmState = (server: TestServer, room: string) => async (): Promise<AlarmState> =>
  (await (await fetch(`${server.url}/parties/main/${room}`)).json()) as AlarmState;
