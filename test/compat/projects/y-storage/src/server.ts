// @ts-nocheck -- a PartyKit project: checked by its own tsconfig against partykit/server, not this repository's.
/**
 * A y-partykit room whose onRequest reads the persisted document through y-partykit/storage, as PartyKit's
 * spatial-chat and tldraw sketches do for their debug endpoints, and seeds it with storeUpdate.
 */
import type * as Party from "partykit/server";
import { onConnect } from "y-partykit";
import { YPartyKitStorage } from "y-partykit/storage";

export default class Server implements Party.Server {
  constructor(readonly room: Party.Room) {}

  onConnect(conn: Party.Connection) {
    return onConnect(conn, this.room, { persist: true });
  }

  async onRequest(req: Party.Request) {
    const storage = new YPartyKitStorage(this.room.storage);
    if (req.method === "POST") {
      // The body is a Yjs update: a seed for the document.
      await storage.storeUpdate(this.room.id, new Uint8Array(await req.arrayBuffer()));
    }
    const ydoc = await storage.getYDoc(this.room.id);
    return Response.json(ydoc.getArray("messages").toJSON());
  }
}
