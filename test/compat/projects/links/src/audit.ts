// @ts-nocheck -- receives the counters' reports and tells whoever listens.
import type * as Party from "partykit/server";

export default class Audit implements Party.Server {
  constructor(readonly room: Party.Room) {}

  async onRequest(req: Party.Request) {
    const report = await req.text();
    this.room.broadcast(report);
    return new Response("noted");
  }
}
