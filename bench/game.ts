/**
 * `npm run bench:game [-- --matches=50 --players=4 --tick-rate=20 --rate=20 --seconds=10]`: the game protocol's
 * authoritative matches under load. `--matches` matches of `--players` players each tick `--tick-rate` times a
 * second, every player sending `--rate` moves a second over its own socket. Measured: `match.state` latency (from
 * sending a move to the first `match.state` that shows it, so it includes the wait for the next tick: half a tick on
 * average), the interval between two `match.state`s of one player (its regularity), states delivered against
 * states due, and the server's CPU in all and per match, read from /proc for the server's own child process.
 */
import type WebSocket from "ws";
import { nextJsonFrame, openSocket } from "./client/json-socket.js";
import { cpuPercentSince, cpuSeconds, rssBytes } from "./proc.js";
import { ServerProcess, scriptCommand, stopAllServers } from "./server-process.js";
import { quantile, round } from "./stats.js";

const arg = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const SETTINGS = {
  matches: arg("matches", 50),
  players: arg("players", 4),
  tickRate: arg("tick-rate", 20),
  rate: arg("rate", 20),
  seconds: arg("seconds", 10),
  warmupSeconds: 1,
};

interface Player {
  ws: WebSocket;
  id: string;
  /** Move number → when it was sent; a move to x = n is move n. */
  sentAt: Map<number, number>;
  nextMove: number;
  lastStateAt: number;
}

/** Connects one player, joins match `matchId` (by id) and resolves once the server answered the join. */
async function join(port: number, id: string, matchId: string): Promise<Player> {
  const ws = await openSocket(`ws://127.0.0.1:${port}/ws`);
  const connected = nextJsonFrame(ws, (frame) => frame.cid === "c");
  ws.send(JSON.stringify({ cid: "c", type: "session.connect", payload: { token: id } }));
  const answer = await connected;
  if (answer.type !== "session.connected") throw new Error(`session.connect of ${id}: ${JSON.stringify(answer)}`);
  const joined = nextJsonFrame(ws, (frame) => frame.cid === "j");
  ws.send(JSON.stringify({ cid: "j", type: "match.join", payload: { match_id: matchId } }));
  const reply = await joined;
  if (reply.type !== "match.join") throw new Error(`match.join of ${id}: ${JSON.stringify(reply)}`);
  return { ws, id, sentAt: new Map(), nextMove: 1, lastStateAt: 0 };
}

async function run(): Promise<Record<string, number>> {
  const server = await ServerProcess.start(
    "yparty game",
    scriptCommand("game.ts", ["--tick-rate", String(SETTINGS.tickRate), "--players", String(SETTINGS.players)]),
  );
  try {
    const players: Player[] = [];
    for (let match = 0; match < SETTINGS.matches; match++) {
      for (let seat = 0; seat < SETTINGS.players; seat++) players.push(await join(server.port, `p${match}-${seat}`, `m${match}.bench`));
    }
    const latencies: number[] = [];
    const intervals: number[] = [];
    let measuring = false;
    let states = 0;
    let bytes = 0;
    for (const player of players) {
      player.ws.on("message", (data: Buffer) => {
        if (!measuring) return;
        const now = performance.now();
        const frame = JSON.parse(data.toString());
        if (frame.type !== "match.state") return;
        states++;
        bytes += data.length;
        if (player.lastStateAt > 0) intervals.push(now - player.lastStateAt);
        player.lastStateAt = now;
        // Every move this state shows (a tick may apply several of this player's moves: the last one is seen).
        const seen = frame.payload.players[player.id]?.x as number | undefined;
        for (const [move, sentAt] of player.sentAt) {
          if (seen === undefined || move > seen) break;
          if (move === seen) latencies.push(now - sentAt);
          player.sentAt.delete(move);
        }
      });
    }
    const send = (player: Player): void => {
      const move = player.nextMove++;
      player.sentAt.set(move, performance.now());
      player.ws.send(JSON.stringify({ type: "match.input", payload: { action: "move", x: move, y: 0 } }));
    };
    // Every player sends `rate` moves a second, spread over the interval so the matches do not all fire at once.
    const intervalMs = 1000 / SETTINGS.rate;
    const timers = players.map((player, i) =>
      setTimeout(
        () => {
          send(player);
          timers[i] = setInterval(() => send(player), intervalMs) as unknown as NodeJS.Timeout;
        },
        (i / players.length) * intervalMs,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.warmupSeconds * 1000));
    for (const player of players) player.lastStateAt = 0;
    measuring = true;
    const cpuBefore = cpuSeconds(server.pid);
    const harnessBefore = process.cpuUsage();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.seconds * 1000));
    const wallMs = performance.now() - started;
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    measuring = false;
    for (const timer of timers) clearInterval(timer);
    const harnessCpuPercent = cpuPercentSince(harnessBefore, wallMs);
    const rss = rssBytes(server.pid);
    for (const player of players) player.ws.terminate();
    const serverCpuPercent = (cpu / (wallMs / 1000)) * 100;
    const due = SETTINGS.matches * SETTINGS.players * SETTINGS.tickRate * (wallMs / 1000);
    return {
      "match.state latency p50 (ms)": quantile(latencies, 0.5),
      "match.state latency p99 (ms)": quantile(latencies, 0.99),
      "moves seen": latencies.length,
      "state interval p50 (ms)": quantile(intervals, 0.5),
      "state interval p99 (ms)": quantile(intervals, 0.99),
      "states delivered / due": states / due,
      "states per second": states / (wallMs / 1000),
      "KiB per second": bytes / 1024 / (wallMs / 1000),
      "server CPU (% of a core)": serverCpuPercent,
      "server CPU per match (% of a core)": serverCpuPercent / SETTINGS.matches,
      "server CPU per match tick (µs)": (cpu * 1e6) / (SETTINGS.matches * SETTINGS.tickRate * (wallMs / 1000)),
      "server RSS (MiB)": rss / 1024 / 1024,
      "harness CPU (% of a core)": harnessCpuPercent,
    };
  } finally {
    await server.stop();
  }
}

try {
  const { matches, players, tickRate, rate, seconds } = SETTINGS;
  console.log(`game bench: ${matches} matches × ${players} players, ${tickRate} ticks/s, ${rate} moves/s per player, ${seconds} s measured`);
  const results = await run();
  console.log("| measure | value |\n|---|---|");
  for (const [key, value] of Object.entries(results)) console.log(`| ${key} | ${round(value)} |`);
} finally {
  await stopAllServers();
}
