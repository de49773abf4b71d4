/**
 * The game bench's server: the game protocol (`createGame`) with one match, `bench`, at `--tick-rate` ticks a second
 * (default 20), 4 seats: state `{tick, players: {id: {x, y}}}`, input `{action: "move", x, y}` sets the sender's
 * position (as examples/game's arena). Matches are joined by id. In memory; quiet logs.
 */
import { createLogger, createServer } from "../../src/runtime/index.js";
import { createGame, defineMatch } from "../../src/game/index.js";
import { announceReady, closeOnSignals } from "./lifecycle.js";

interface BenchState {
  tick: number;
  players: Record<string, { x: number; y: number }>;
}

const flag = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};

const bench = defineMatch<BenchState>({
  tickRate: flag("tick-rate", 20),
  maxPlayers: flag("players", 4),
  init: () => ({ tick: 0, players: {} }),
  onJoin(state, player) {
    state.players[player] = { x: 0, y: 0 };
  },
  onInput(state, { player, payload }) {
    state.players[player] = { x: payload.x as number, y: payload.y as number };
  },
  onTick(state) {
    state.tick++;
  },
  onLeave(state, player) {
    delete state.players[player];
  },
});

const game = createGame({ matches: { bench }, limits: { sessionTimeoutMs: 120_000 } });
const server = createServer({
  parties: game.parties,
  sockets: game.sockets,
  routes: game.routes,
  port: 0,
  persist: false,
  logger: createLogger({ level: "error" }),
});
const { port } = await server.listen();
announceReady(port);
closeOnSignals(() => server.close());
