/**
 * `npm run bench:rooms [-- --rooms=100 --clients=10 --rate=20 --seconds=10 --leveldb]`: the cost of the rooms protocol's
 * authoritative state (snapshots, JSON Patches, seq, CRC-32 checksums) against a plain party that broadcasts the
 * same JSON state by hand. Each client sends `--rate` inputs a second; latency is from sending an input to seeing
 * its effect in the state (the patch, or the broadcast, that carries its id), p50/p99; server CPU is read from
 * /proc for the server's own child process. Prints a table and the ratios.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type WebSocket from "ws";
import { nextJsonFrame as nextFrame, openSocket as open } from "./client/json-socket.js";
import { cpuSeconds, rssBytes } from "./proc.js";
import { scriptCommand, ServerProcess, stopAllServers } from "./server-process.js";
import { quantile, round } from "./stats.js";

const arg = (name: string, fallback: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const SETTINGS = { rooms: arg("rooms", 100), clients: arg("clients", 10), rate: arg("rate", 20), seconds: arg("seconds", 10), warmupSeconds: 1 };
/** `--leveldb`: both servers store on LevelDB in a temp folder (the rooms store their state after every patch). */
const leveldb = process.argv.includes("--leveldb");

type Mode = "rooms" | "plain";

interface Client {
  ws: WebSocket;
  player: string;
  sentAt: Map<number, number>;
  nextId: number;
  /** rooms mode: the room name. */
  room: string;
}

async function connectClient(mode: Mode, port: number, room: number, index: number): Promise<Client> {
  const player = `p${room}-${index}`;
  const client: Client = { ws: undefined as unknown as WebSocket, player, sentAt: new Map(), nextId: 0, room: `room-${room}` };
  if (mode === "plain") {
    client.ws = await open(`ws://127.0.0.1:${port}/parties/plain/room-${room}?_pk=${player}`);
    return client;
  }
  client.ws = await open(`ws://127.0.0.1:${port}/rooms`);
  const ok = nextFrame(client.ws, (frame) => frame.t === "handshake.ok");
  client.ws.send(JSON.stringify({ t: "handshake", p: { v: 1, codecs: ["json"], project_id: "bench", token: player } }));
  await ok;
  const joined = nextFrame(client.ws, (frame) => frame.t === "state.snapshot");
  client.ws.send(JSON.stringify({ t: "room.join_or_create", p: { room_type: "bench", room: client.room }, rid: 1 }));
  await joined;
  return client;
}

async function run(mode: Mode): Promise<Record<string, number>> {
  const dir = leveldb ? await mkdtemp(join(tmpdir(), "yparty-bench-rooms-")) : undefined;
  const server = await ServerProcess.start(`yparty ${mode}`, scriptCommand("rooms.ts", ["--mode", mode, ...(dir ? ["--dir", dir] : [])]));
  try {
    const clients: Client[] = [];
    for (let room = 0; room < SETTINGS.rooms; room++) {
      for (let index = 0; index < SETTINGS.clients; index++) clients.push(await connectClient(mode, server.port, room, index));
    }
    const latencies: number[] = [];
    let measuring = false;
    let received = 0;
    let bytes = 0;
    for (const client of clients) {
      const mine = mode === "rooms" ? `/last/${client.player}` : undefined;
      client.ws.on("message", (data: Buffer) => {
        if (!measuring) return;
        received++;
        bytes += data.length;
        const now = performance.now();
        const frame = JSON.parse(data.toString());
        let id: number | undefined;
        if (mode === "plain") id = frame.last?.[client.player];
        else if (frame.t === "state.patch") id = frame.p.ops.find((op: { path: string }) => op.path === mine)?.value;
        const sentAt = id === undefined ? undefined : client.sentAt.get(id);
        if (sentAt === undefined) return;
        latencies.push(now - sentAt);
        client.sentAt.delete(id!);
      });
    }
    const send = (client: Client): void => {
      const id = client.nextId++;
      client.sentAt.set(id, performance.now());
      const input = { by: 1, id };
      client.ws.send(JSON.stringify(mode === "plain" ? input : { t: "room.message", p: { room: client.room, type: "inc", data: input } }));
    };
    // Every client sends `rate` inputs a second, spread over the second so the rooms do not all fire at once.
    const intervalMs = 1000 / SETTINGS.rate;
    const timers = clients.map((client, i) =>
      setTimeout(
        () => {
          send(client);
          timers[i] = setInterval(() => send(client), intervalMs) as unknown as NodeJS.Timeout;
        },
        (i / clients.length) * intervalMs,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.warmupSeconds * 1000));
    measuring = true;
    const cpuBefore = cpuSeconds(server.pid);
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SETTINGS.seconds * 1000));
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    measuring = false;
    for (const timer of timers) clearInterval(timer);
    const rss = rssBytes(server.pid);
    for (const client of clients) client.ws.terminate();
    return {
      inputsPerSecond: SETTINGS.rooms * SETTINGS.clients * SETTINGS.rate,
      p50Ms: quantile(latencies, 0.5),
      p99Ms: quantile(latencies, 0.99),
      samples: latencies.length,
      serverCpuPercent: (cpu / wallSeconds) * 100,
      framesPerSecond: received / wallSeconds,
      kbPerSecond: bytes / 1024 / wallSeconds,
      rssMb: rss / 1024 / 1024,
    };
  } finally {
    await server.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

try {
  console.log(`rooms bench: ${SETTINGS.rooms} rooms × ${SETTINGS.clients} clients × ${SETTINGS.rate} inputs/s, ${SETTINGS.seconds} s measured`);
  const results = { plain: await run("plain"), rooms: await run("rooms") };
  const keys = Object.keys(results.plain);
  console.log(`| measure | plain party | rooms protocol | ratio |\n|---|---|---|---|`);
  for (const key of keys) {
    const plain = results.plain[key]!;
    const rooms = results.rooms[key]!;
    console.log(`| ${key} | ${round(plain)} | ${round(rooms)} | ${round(rooms / plain)} |`);
  }
} finally {
  await stopAllServers();
}
