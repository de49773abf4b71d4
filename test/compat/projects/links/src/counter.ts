// @ts-nocheck -- counts hits; an alarm reports the total to the audit party a little later.
import type * as Party from "partykit/server";

export default class Counter implements Party.Server {
  constructor(readonly room: Party.Room) {}

  async onRequest(req: Party.Request) {
    let hits = (await this.room.storage.get<number>("hits")) ?? 0;
    if (req.method === "POST") {
      hits += 1;
      await this.room.storage.put("hits", hits);
      if ((await this.room.storage.getAlarm()) === null) await this.room.storage.setAlarm(Date.now() + 100);
    }
    return Response.json({ link: this.room.id, hits });
  }

  async onAlarm() {
    const hits = (await this.room.storage.get<number>("hits")) ?? 0;
    await this.room.context.parties.audit.get("log").fetch({ method: "POST", body: JSON.stringify({ link: this.room.id, hits }) });
  }
}
