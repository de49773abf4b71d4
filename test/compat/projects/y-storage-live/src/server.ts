// @ts-nocheck -- a PartyKit project: checked by its own tsconfig, not this repository's.
/**
 * yparty's built-in document room (DocumentParty: persisted, its document held by the room's instance, not by
 * y-partykit's onConnect) whose onRequest seeds the document through y-partykit/storage, as a port of a PartyKit
 * debug or import endpoint does.
 */
import type * as Party from "partykit/server";
import { YPartyKitStorage } from "y-partykit/storage";
import { DocumentParty } from "yparty/yjs";

export default class Server extends DocumentParty {
  async onRequest(req: Party.Request) {
    const storage = new YPartyKitStorage(this.room.storage);
    if (req.method === "POST") await storage.storeUpdate(this.room.id, new Uint8Array(await req.arrayBuffer()));
    const ydoc = await storage.getYDoc(this.room.id);
    return Response.json(ydoc.getArray("messages").toJSON());
  }
}
