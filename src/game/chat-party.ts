/**
 * One room per chat channel (party `game-chat`, room = channel id). Its members are the sessions connected to it
 * (one in-process connection each, id = player id); the last `chatHistory` messages are kept in `room.storage`,
 * written before the message goes out, and sent to a joiner in the answer to its `chat.join`. The session checks
 * lengths and rates before a message gets here.
 */
import type { Connection, Room, Server, Worker } from "../runtime/index.js";
import { GameMessage, envelopeJson, type GameEnvelope } from "./wire.js";
import { closedToClients, type GameShared } from "./parties.js";

export interface ChatMessage {
  channel_id: string;
  sender_id: string;
  content: string;
  /** ISO 8601 UTC. */
  sent_at: string;
}

const HISTORY_KEY = "game.chat.history";

export function chatParty(shared: GameShared): Worker {
  return class ChatParty implements Server {
    static onBeforeConnect = closedToClients;
    static onBeforeRequest = closedToClients;

    #history: ChatMessage[] = [];

    constructor(readonly room: Room) {}

    async onStart(): Promise<void> {
      this.#history = (await this.room.storage.get<ChatMessage[]>(HISTORY_KEY)) ?? [];
    }

    async onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Connection): Promise<void> {
      if (typeof message !== "string") return;
      const { cid, type, payload } = JSON.parse(message) as GameEnvelope; // checked by the session
      if (type === GameMessage.ChatJoin) return conn.send(envelopeJson(GameMessage.ChatJoin, { channel_id: this.room.id, history: this.#history }, cid));
      if (type !== GameMessage.ChatSend) return;
      const chat: ChatMessage = { channel_id: this.room.id, sender_id: conn.id, content: payload.content as string, sent_at: new Date().toISOString() };
      this.#history.push(chat);
      if (this.#history.length > shared.limits.chatHistory) this.#history.splice(0, this.#history.length - shared.limits.chatHistory);
      await this.room.storage.put(HISTORY_KEY, this.#history);
      this.room.broadcast(envelopeJson(GameMessage.ChatMessage, chat));
      conn.send(envelopeJson(GameMessage.ChatSend, { channel_id: this.room.id, sent_at: chat.sent_at }, cid));
    }
  };
}
