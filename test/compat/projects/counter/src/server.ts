// @ts-nocheck -- PartyKit's legacy object API: a counter kept in room.storage.
import type { PartyKitServer } from "partykit/server";

async function increment(room) {
  const count = ((await room.storage.get("count")) ?? 0) + 1;
  await room.storage.put("count", count);
  room.broadcast(String(count));
  return count;
}

export default {
  async onConnect(ws, room) {
    ws.send(String((await room.storage.get("count")) ?? 0));
  },
  async onMessage(message, _ws, room) {
    if (message === "increment") await increment(room);
  },
  async onRequest(request, room) {
    if (request.method === "POST") return new Response(String(await increment(room)));
    return new Response(String((await room.storage.get("count")) ?? 0));
  },
} satisfies PartyKitServer;
