/**
 * One room per chat channel (party `game-chat`, room = channel id). Its members are the sessions connected to it
 * (one in-process connection each, id = player id); the last `chatHistory` messages are kept in `room.storage`,
 * written before the message goes out, and sent to a joiner in the answer to its `chat.join` (a message reaches a
 * member once: there or live). Each message gets a `message_id` as it is stored. The session checks lengths and rates before a message gets here, and gives each a key
 * (kept with it, never sent out): one sent again after a reload cut off its answer is answered, not stored twice.
 */
import type { Connection, Room, Server, Worker } from "../runtime/index.js";
import { GameMessage, envelopeJson, type GameEnvelope } from "./wire.js";
import { closedToClients, OneAtATime, type GameShared } from "./parties.js";
import type { ChatMessage } from "./messages.js";
import { newId } from "../rooms/ids.js";

const HISTORY_KEY = "game.chat.history";

/** A message as the channel stores it: with the key the session gave it. */
interface StoredChatMessage extends ChatMessage {
  key?: string;
}

function publicMessage({ key: _, ...message }: StoredChatMessage): ChatMessage {
  return message;
}

/** The answer to the `chat.send` of `message` (Nakama's ChannelMessageAck): which message it became. */
function sendAnswer({ channel_id, message_id, sent_at }: ChatMessage): Record<string, string> {
  return { channel_id, message_id, sent_at };
}

/** The set of message keys `map` holds for `conn`, made empty the first time. */
function keysOf(map: WeakMap<Connection, Set<string>>, conn: Connection): Set<string> {
  let keys = map.get(conn);
  if (!keys) map.set(conn, (keys = new Set()));
  return keys;
}

export function chatParty(shared: GameShared): Worker {
  return class ChatParty implements Server {
    static onBeforeConnect = closedToClients;
    static onBeforeRequest = closedToClients;
    /**
     * A message its logic failed on leaves the protocol in no known state: the runtime closes that connection (1011).
     * Its history (50 messages of up to 1,000 characters, with names) is one stored value: not held to Durable Objects' limits.
     */
    readonly options = { closeOnMessageError: true, storageLimits: false };

    /** The messages kept, each one stored and already sent out. */
    #history: StoredChatMessage[] = [];
    /** Messages sent out so far; a connection's count at its connect tells which ones reached it live. */
    #sentOut = 0;
    readonly #liveFrom = new WeakMap<Connection, number>();
    /** Keys of stored messages sent out again (after a reload) while a connection was there: not in its first join's history. */
    readonly #resentTo = new WeakMap<Connection, Set<string>>();
    /** Keys of the stored messages each connection got in a join's history. */
    readonly #inHistoryOf = new WeakMap<Connection, Set<string>>();
    readonly #sends = new OneAtATime();

    constructor(readonly room: Room) {}

    async onStart(): Promise<void> {
      const history = (await this.room.storage.get<StoredChatMessage[]>(HISTORY_KEY)) ?? [];
      // Stored before messages had ids: given theirs now, kept, so a reload does not change them.
      const unnamed = history.filter((message) => typeof message.message_id !== "string");
      for (const message of unnamed) message.message_id = newId(12);
      if (unnamed.length > 0) await this.room.storage.put(HISTORY_KEY, history);
      this.#history = history;
    }

    onConnect(conn: Connection): void {
      this.#liveFrom.set(conn, this.#sentOut);
    }

    async onMessage(message: string | ArrayBuffer | ArrayBufferView, conn: Connection): Promise<void> {
      if (typeof message !== "string") return;
      const { cid, type, payload } = JSON.parse(message) as GameEnvelope; // checked by the session
      if (type === GameMessage.ChatJoin) {
        // What reached this connection live between its connect and its first join is not in that join's history
        // again; a join after that is answered with the whole history, as asked.
        if (payload.quiet === true) {
          // The session a member again after a reload (its answer does not reach the client): no history, and its
          // next join is answered with the whole history, as a join after the first is.
          this.#liveFrom.delete(conn);
          this.#resentTo.delete(conn);
          return conn.send(envelopeJson(GameMessage.ChatJoin, { channel_id: this.room.id, history: [] }, cid));
        }
        const live = this.#sentOut - (this.#liveFrom.get(conn) ?? this.#sentOut);
        const resent = this.#resentTo.get(conn);
        this.#liveFrom.delete(conn);
        this.#resentTo.delete(conn);
        const stored = this.#history
          .slice(0, Math.max(0, this.#history.length - live))
          .filter((message) => message.key === undefined || !resent?.has(message.key));
        // What it got in a history is not sent out to it again (a message sent again after a reload, see below).
        const keys = keysOf(this.#inHistoryOf, conn);
        for (const message of stored) if (message.key !== undefined) keys.add(message.key);
        const history = stored.map(publicMessage);
        return conn.send(envelopeJson(GameMessage.ChatJoin, { channel_id: this.room.id, history }, cid));
      }
      if (type !== GameMessage.ChatSend) return;
      const key = typeof payload.key === "string" ? payload.key : undefined;
      const chat: StoredChatMessage = {
        message_id: newId(12),
        channel_id: this.room.id,
        sender_id: conn.id,
        content: payload.content as string,
        sent_at: new Date().toISOString(),
        key,
      };
      // One send at a time, so none drops another from the history it stores.
      await this.#sends.run(async () => {
        const stored = key === undefined ? undefined : this.#history.find((message) => message.key === key && message.sender_id === conn.id);
        if (stored) {
          // Sent again after a reload cut off its answer: stored then, but gone out to nobody (its answer goes in the
          // same turn), so out now — and not again in the first join's history of those it reaches.
          const frame = envelopeJson(GameMessage.ChatMessage, publicMessage(stored));
          for (const member of this.room.getConnections()) {
            if (this.#inHistoryOf.get(member)?.has(key!)) continue; // it has it: a join on the new instance answered it
            member.send(frame);
            if (!this.#liveFrom.has(member)) continue; // joined already: its later joins get the whole history, as asked
            keysOf(this.#resentTo, member).add(key!);
          }
          return conn.send(envelopeJson(GameMessage.ChatSend, sendAnswer(stored), cid));
        }
        const history = [...this.#history, chat];
        history.splice(0, history.length - shared.limits.chatHistory);
        await this.room.storage.put(HISTORY_KEY, history);
        // Into the history and out in one turn: a joiner gets it in its history or live, never both.
        this.#history = history;
        this.#sentOut++;
        this.room.broadcast(envelopeJson(GameMessage.ChatMessage, publicMessage(chat)));
        conn.send(envelopeJson(GameMessage.ChatSend, sendAnswer(chat), cid));
      });
    }
  };
}
