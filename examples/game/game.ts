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
    // Object.hasOwn, not `??=`: a player named "constructor" would find Object.prototype's.
    if (!Object.hasOwn(state.players, player)) state.players[player] = { x: 0, y: 0 };
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
        state.players[player] = { x, y };
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

export default defineGame({
  matches: { arena },
  modes: { arena: { size: 2, match: "arena" } },
  // Tokens are `dev:<player>`; anything else is refused (4401). A real project checks a signed token here. The state
  // is keyed by player id, and a room's state holds no "__proto__" key (docs/rooms.md): that id is refused too.
  verifyToken: (token) => (/^dev:[\w-]{1,64}$/.test(token) && token !== "dev:__proto__" ? token.slice(4) : null),
});
