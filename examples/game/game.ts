/**
 * The game example: `npx yparty dev --config examples/game/yparty.json`, then speak the game protocol at
 * ws://127.0.0.1:1999/ws with a token `dev:<player>` (see docs/game.md), and its REST API under /api.
 */
import { defineGame, defineMatch, MatchError, type VoteSpec } from "yparty/game";

export interface ArenaState {
  tick: number;
  players: Record<string, { x: number; y: number }>;
}

/**
 * State `{tick, players: {id: {x, y}}}` at 10 ticks/s. Inputs: `{action: "move", x, y}` sets the sender's position;
 * `{action: "finish"}` ends the match with `{winner: sender}`; `{action: "call_vote", options, method, window_ms,
 * visibility, veto_enabled}` starts a vote (1 veto token per player; a vetoed vote has no result).
 */
export const arena = defineMatch<ArenaState>({
  tickRate: 10,
  maxPlayers: 8,
  vetoTokensPerPlayer: 1,
  init: () => ({ tick: 0, players: {} }),
  onJoin(state, player) {
    if (!Object.hasOwn(state.players, player)) place(state, player, 0, 0);
  },
  onLeave(state, player) {
    delete state.players[player];
  },
  onInput(state, { player, payload }, ctx) {
    switch (payload.action) {
      case "move": {
        const { x, y } = payload;
        if (typeof x !== "number" || typeof y !== "number" || !Number.isFinite(x) || !Number.isFinite(y))
          throw new MatchError("move needs {x, y}: finite numbers");
        place(state, player, x, y);
        return;
      }
      case "finish":
        return ctx.finish({ winner: player });
      case "call_vote": {
        const { options, method, window_ms, visibility, veto_enabled } = payload;
        ctx.startVote({ options, method, window_ms, visibility, veto_enabled } as VoteSpec);
        return;
      }
      default:
        throw new MatchError(`unknown action ${JSON.stringify(payload.action)} (arena takes move, finish, call_vote)`);
    }
  },
  onTick(state) {
    state.tick++;
  },
  getState: (state) => state,
});

/**
 * Sets a player's position. Player ids are keys of `players`, and any string is an id (`constructor`, `__proto__`
 * too): an own property is defined, never assigned (assigning `__proto__` would set the object's prototype).
 */
function place(state: ArenaState, player: string, x: number, y: number): void {
  Object.defineProperty(state.players, player, { value: { x, y }, enumerable: true, writable: true, configurable: true });
}

export default defineGame({
  matches: { arena },
  modes: { arena: { size: 2, match: "arena" } },
  // Tokens are `dev:<player>`; anything else is refused (4401). A real project checks a signed token here.
  verifyToken: (token) => (/^dev:[\w-]{1,64}$/.test(token) ? token.slice(4) : null),
});
