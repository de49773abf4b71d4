/**
 * The rooms example: `npx yparty dev --config examples/rooms/yparty.json`, then speak the rooms protocol at
 * ws://127.0.0.1:1999/rooms with a token `dev:<player>` (see docs/rooms.md).
 */
import { defineRoomType, defineRooms, RoomError } from "yparty/rooms";

export interface CounterState {
  count: number;
  players: Record<string, { joined: boolean }>;
}

/** `inc {by: 1..100}` adds to `count`; `echo` answers the sender alone; `cursor` goes to the others, unreliably. */
export const counter = defineRoomType<CounterState>({
  maxClients: 8,
  unreliable: ["cursor"],
  onCreate() {
    this.state = { count: 0, players: {} };
  },
  onJoin(player) {
    this.state.players[player] = { joined: true };
  },
  onLeave(player) {
    delete this.state.players[player];
  },
  onInput({ type, data, sender }) {
    switch (type) {
      case "inc": {
        const by = (data as { by?: unknown } | null)?.by;
        if (typeof by !== "number" || !Number.isInteger(by) || by < 1 || by > 100) throw new RoomError("inc needs {by: an integer from 1 to 100}");
        this.state.count += by;
        return;
      }
      case "echo":
        return this.send(sender, "echo", data);
      case "cursor":
        return this.broadcast("cursor", data, { except: sender });
      default:
        throw new RoomError(`unknown input "${type}" (counter takes inc, echo, cursor)`);
    }
  },
});

export default defineRooms({
  types: { counter },
  // Tokens are `dev:<player>`; anything else is refused (4401). A real project checks a signed token here.
  verifyToken: (token) => (/^dev:[\w-]{1,64}$/.test(token) ? token.slice(4) : null),
});
