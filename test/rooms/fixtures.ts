/** Room types the rooms tests share. */
import { defineRoomType, RoomError } from "../../src/rooms/index.js";

export interface CounterState {
  count: number;
  players: Record<string, { joined: boolean }>;
}

/** The issue's `counter`: `inc {by: 1..100}`, `echo` back to the sender, `cursor` unreliable to the others. */
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
  onInput(input) {
    if (input.type === "inc") {
      const by = (input.data as { by?: unknown } | null)?.by;
      if (typeof by !== "number" || !Number.isInteger(by) || by < 1 || by > 100) throw new RoomError("inc needs {by: an integer from 1 to 100}");
      this.state.count += by;
    } else if (input.type === "echo") {
      this.send(input.sender, "echo", input.data);
    } else if (input.type === "cursor") {
      this.broadcast("cursor", input.data, { except: input.sender });
    } else {
      throw new RoomError(`unknown input "${input.type}"`);
    }
  },
});
