// @ts-nocheck -- PartyKit's basic example: a room, plus onFetch and onSocket for what is outside the parties.
import type * as Party from "partykit/server";

export default class Server implements Party.Server {
  constructor(readonly room: Party.Room) {}

  onConnect(conn: Party.Connection, ctx: Party.ConnectionContext) {
    conn.send(`hello from ${this.room.id}, ip ${ctx.request.headers.get("cf-connecting-ip")}`);
  }

  onMessage(message: string | ArrayBuffer, sender: Party.Connection) {
    if (message instanceof ArrayBuffer) sender.send(`binary of ${message.byteLength} bytes`);
    else this.room.broadcast(message, [sender.id]);
  }

  static async onFetch(req: Party.Request, lobby: Party.FetchLobby) {
    const url = new URL(req.url);
    if (url.pathname === "/another") return lobby.assets.fetch("/another.html");
    if (url.pathname === "/host") return new Response(PARTYKIT_HOST); // defined by PartyKit's dev: where the server listens
    return new Response(`onFetch: ${url.pathname}`, { status: 404 });
  }

  static async onSocket(socket: Party.FetchSocket) {
    socket.addEventListener("message", (event) => socket.send(`onSocket echo: ${event.data}`));
  }
}
