// @ts-nocheck -- a PartyKit project: checked by its own tsconfig, not this repository's.
/** The same endpoint in a y-partyserver-style room (YServer, history mode). */
import type * as Party from "partykit/server";
import { YPartyKitStorage } from "y-partykit/storage";
import { YServer } from "yparty/yjs";

export default class Editor extends YServer {
  static persist = { mode: "history" };

  async onRequest(req: Party.Request) {
    const storage = new YPartyKitStorage(this.room.storage);
    if (req.method === "POST") await storage.storeUpdate(this.room.id, new Uint8Array(await req.arrayBuffer()));
    const ydoc = await storage.getYDoc(this.room.id);
    return Response.json(ydoc.getArray("messages").toJSON());
  }
}
