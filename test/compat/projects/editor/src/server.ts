// @ts-nocheck -- the main party of a two-party PartyKit app: who is here, as text messages.
import type * as Party from "partykit/server";

export default class Presence implements Party.Server {
  constructor(readonly room: Party.Room) {}

  onConnect() {
    this.room.broadcast(`present:${[...this.room.getConnections()].length}`);
  }

  onClose() {
    this.room.broadcast(`present:${[...this.room.getConnections()].length}`);
  }
}
