/**
 * Room types the rooms tests share: the example's `counter` (inc 1..100, echo, unreliable cursor; max 8 clients), and
 * `visits`, which counts its joins and leaves, and `lockableRoom`, which refuses every join once locked.
 */
import { defineRoomType, RoomError } from "../../src/rooms/index.js";

export { counter, type CounterState } from "../../examples/rooms/rooms.js";

export interface Visits {
  /** When it was created (a room created anew has a later one). */
  created: number;
  joins: number;
  leaves: number;
  in: string[];
}

/** Counts its hooks in its state (who is in, in join order); the input `end` disposes it. */
export const visits = defineRoomType<Visits>({
  onCreate() {
    this.state = { created: Date.now(), joins: 0, leaves: 0, in: [] };
  },
  onJoin(player) {
    this.state.joins++;
    this.state.in.push(player);
  },
  onLeave(player) {
    this.state.leaves++;
    this.state.in = this.state.in.filter((name) => name !== player);
  },
  onInput({ type }) {
    if (type === "end") this.dispose();
  },
});

/**
 * Takes players until the input `lock`; a locked room refuses every join (a `RoomError`), its players' joins back
 * after a reload too. `onLeft` hears each player's `onLeave`.
 */
export function lockableRoom(onLeft: (player: string) => void = () => {}) {
  return defineRoomType<{ locked: boolean; players: string[] }>({
    onCreate() {
      this.state = { locked: false, players: [] };
    },
    onJoin(player) {
      if (this.state.locked) throw new RoomError("the room is locked");
      this.state.players.push(player);
    },
    onLeave(player) {
      this.state.players = this.state.players.filter((name) => name !== player);
      onLeft(player);
    },
    onInput({ type }) {
      if (type === "lock") this.state.locked = true;
    },
  });
}
