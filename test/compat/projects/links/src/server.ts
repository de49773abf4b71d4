// @ts-nocheck -- the front party: counts a visit in the link's counter room, through context.parties.
import type * as Party from "partykit/server";

export default class Links implements Party.Server {
  constructor(readonly room: Party.Room) {}

  async onRequest(req: Party.Request) {
    const counter = this.room.context.parties.counter.get(this.room.id);
    if (req.method === "POST") return counter.fetch({ method: "POST" });
    return counter.fetch();
  }
}
