// @ts-nocheck -- PartyKit's sharding shape: the lobby room hands each client's WebSocket to a shard room.
import type * as Party from "partykit/server";

const SHARDS = 4;

export default class Server implements Party.Server {
  constructor(readonly room: Party.Room) {}

  static async onBeforeConnect(req: Party.Request, lobby: Party.Lobby) {
    const user = new URL(req.url).searchParams.get("user") ?? "anonymous";
    let hash = 0;
    for (const char of user) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    return lobby.parties.main.get(`shard-${hash % SHARDS}`).fetch(req);
  }

  onConnect(connection: Party.Connection) {
    connection.send(`welcome to ${this.room.id}`);
  }

  onMessage(message: string, sender: Party.Connection) {
    this.room.broadcast(`${this.room.id}: ${message}`, [sender.id]);
  }

  async onRequest() {
    return new Response(`${this.room.id} has ${[...this.room.getConnections()].length} connections`);
  }
}
