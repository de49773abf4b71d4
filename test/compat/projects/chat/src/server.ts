// @ts-nocheck -- PartyKit's chat template, unchanged.
import type * as Party from "partykit/server";

type ChatMessage = { id: string; content: string; user: string; role: "user" | "assistant" };
type Message = { type: "add"; id: string; content: string; user: string; role: "user" } | { type: "all"; messages: ChatMessage[] };

export default class Server implements Party.Server {
  constructor(readonly room: Party.Room) {}

  messages: ChatMessage[] = [];

  async onStart() {
    this.messages = (await this.room.storage.get<ChatMessage[]>("messages")) ?? [];
  }

  onConnect(connection: Party.Connection) {
    connection.send(JSON.stringify({ type: "all", messages: this.messages } satisfies Message));
  }

  async onMessage(message: string, sender: Party.Connection) {
    const parsed = JSON.parse(message) as Message;
    if (parsed.type === "add") {
      this.messages.push({ id: parsed.id, content: parsed.content, user: parsed.user, role: parsed.role });
      await this.room.storage.put("messages", this.messages);
      this.room.broadcast(message, [sender.id]);
    }
  }
}

Server satisfies Party.Worker;
