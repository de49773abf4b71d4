// @ts-nocheck -- y-partykit's editor party, as its docs write it.
import type * as Party from "partykit/server";
import { onConnect } from "y-partykit";

export default class EditorServer implements Party.Server {
  constructor(public room: Party.Room) {}

  onConnect(conn: Party.Connection) {
    return onConnect(conn, this.room, {
      persist: { mode: "snapshot" },
    });
  }
}
