/**
 * The cluster bench (issue 16, docs/cluster.md): built-CLI nodes (`yparty start --cluster … --store postgres://…`) on
 * a throwaway Redis and PostgreSQL (test/helpers/engines.ts), measured side by side in one run:
 *
 *   hop        — p50/p99 of an update from a writer to a reader of the same room, both connected to the room's owner
 *                (direct) or both to another node (every frame relayed twice through the forwarding node), on
 *                `--rooms` rooms (half each way), one update per room every `--interval` ms.
 *   aggregate  — durable acks per second over `--rooms` rooms, writers keeping `--window` updates in flight, on one
 *                node and on three (rooms spread evenly, each client on its room's owner).
 *
 *   npm run build && node --import tsx bench/cluster.ts [--rooms=300] [--seconds=5] [--interval=100] [--window=4]
 *
 * On a shared 2-core machine three nodes cannot run faster than one (they share the cores): the aggregate figure
 * shows what the cluster costs, not how it scales; run it on separate machines for that.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import WebSocket from "ws";
import * as Y from "yjs";
import { ACK_PARAM, decodeMessage, encodeUpdate } from "../src/protocol/index.js";
import { startPostgres, startRedis, stopAllEngines, type Engine } from "../test/helpers/engines.js";

const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=") as [string, string]));
const ROOMS = Number(args.rooms ?? 300);
const SECONDS = Number(args.seconds ?? 5);
const INTERVAL_MS = Number(args.interval ?? 100);
const WINDOW = Number(args.window ?? 4);
const TOKEN = "bench-cluster-secret";
const REMOTE = Symbol("remote");

interface Node {
  url: string;
  host: string;
  child: ChildProcess;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startNode(redis: Engine, postgres: Engine): Promise<Node> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    ["bin/yparty.js", "start", "--port", String(port), "--cluster", redis.url, "--store", postgres.url, "--advertise", url],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, YPARTY_ADMIN_TOKEN: TOKEN } },
  );
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => line.includes("yparty.ready") && resolve());
    child.once("exit", (code) => reject(new Error(`node exited ${code}`)));
  });
  return { url, host: `127.0.0.1:${port}`, child };
}

/** A client of one room: sends Yjs updates, hears others' (and acks, with `acks`). */
class Client {
  readonly ws: WebSocket;
  readonly doc = new Y.Doc();
  readonly opened: Promise<void>;
  /** The writer's latest value this client has seen, after each update it received. */
  onUpdate = (_value: number | undefined): void => {};
  onAck = (_count: number): void => {};

  constructor(host: string, room: string, acks = false) {
    this.ws = new WebSocket(`ws://${host}/parties/main/${room}${acks ? `?${ACK_PARAM}=1` : ""}`);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
    this.ws.on("message", (data: Buffer) => {
      const message = decodeMessage(new Uint8Array(data));
      if (message.type === "update") {
        // The server may merge a writer's updates that arrive in one read: read the value, do not count frames.
        Y.applyUpdate(this.doc, message.update, REMOTE);
        this.onUpdate(this.doc.getMap<number>("m").get("i"));
      } else if (message.type === "durable-ack") this.onAck(message.count);
    });
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin !== REMOTE && this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeUpdate(update));
    });
  }

  write(i: number): void {
    this.doc.getMap<number>("m").set("i", i);
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

/** First client through `node` claims the room there. */
async function claim(node: Node, room: string): Promise<void> {
  const response = await fetch(`${node.url}/parties/main/${room}`);
  await response.arrayBuffer();
}

type Latencies = Record<"direct" | "forwarded" | "directFirst" | "forwardedFirst", number[]>;

async function hop(nodes: Node[]): Promise<Latencies> {
  const [owner, entry] = nodes as [Node, Node];
  const rooms = Array.from({ length: ROOMS }, (_, i) => `hop-${i}`);
  for (const room of rooms) await claim(owner, room);
  const pairs = await Promise.all(
    rooms.map(async (room, i) => {
      const via = i % 2 === 0 ? owner : entry;
      const writer = new Client(via.host, room);
      const reader = new Client(via.host, room);
      await Promise.all([writer.opened, reader.opened]);
      return { kind: via === owner ? "direct" : "forwarded", writer, reader, sent: new Map<number, number>() };
    }),
  );
  // A connection's first update is counted apart: through a forwarding node it waits for the relay's first round trip.
  const latencies: Latencies = { direct: [], forwarded: [], directFirst: [], forwardedFirst: [] };
  for (const pair of pairs) {
    // Each value seen for the first time: its own latency (values merged into one frame each count, sent later).
    pair.reader.onUpdate = (value) => {
      const now = performance.now();
      for (const [tick, sentAt] of pair.sent) {
        if (value === undefined || tick > value) break;
        latencies[tick === 0 ? (`${pair.kind}First` as "directFirst") : (pair.kind as "direct")].push(now - sentAt);
        pair.sent.delete(tick);
      }
    };
  }
  // Each room writes on its own phase of the interval: an even load, not one burst of every room at once.
  await Promise.all(
    pairs.map(async (pair, i) => {
      await new Promise((resolve) => setTimeout(resolve, (INTERVAL_MS * i) / pairs.length));
      const ticks = Math.floor((SECONDS * 1000) / INTERVAL_MS);
      for (let tick = 0; tick < ticks; tick++) {
        pair.sent.set(tick, performance.now());
        pair.writer.write(tick);
        await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      }
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const pair of pairs) {
    pair.writer.ws.close();
    pair.reader.ws.close();
  }
  for (const list of Object.values(latencies)) list.sort((a, b) => a - b);
  return latencies;
}

async function aggregate(nodes: Node[], label: string): Promise<number> {
  const rooms = Array.from({ length: ROOMS }, (_, i) => `${label}-${i}`);
  await Promise.all(rooms.map((room, i) => claim(nodes[i % nodes.length]!, room)));
  const writers = await Promise.all(
    rooms.map(async (room, i) => {
      const client = new Client(nodes[i % nodes.length]!.host, room, true);
      await client.opened;
      return client;
    }),
  );
  let acked = 0;
  let counting = false;
  for (const writer of writers) {
    let sent = 0;
    let done = 0;
    const pump = () => {
      while (sent - done < WINDOW && writer.ws.readyState === WebSocket.OPEN) writer.write(sent++);
    };
    writer.onAck = (count) => {
      if (counting) acked += count - done;
      done = count;
      pump();
    };
    pump();
  }
  await new Promise((resolve) => setTimeout(resolve, 1000)); // warm up
  counting = true;
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  counting = false;
  for (const writer of writers) writer.ws.close();
  return acked / SECONDS;
}

const redis = await startRedis();
const postgres = await startPostgres();
const started: Node[] = [];
try {
  started.push(await startNode(redis, postgres));
  started.push(...(await Promise.all([startNode(redis, postgres), startNode(redis, postgres)])));
  const { direct, forwarded, directFirst, forwardedFirst } = await hop(started);
  const oneNode = await aggregate(started.slice(0, 1), "one");
  const threeNodes = await aggregate(started, "three");
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const report = {
    rooms: ROOMS,
    hop: {
      direct: { samples: direct.length, p50: ms(percentile(direct, 50)), p99: ms(percentile(direct, 99)) },
      forwarded: { samples: forwarded.length, p50: ms(percentile(forwarded, 50)), p99: ms(percentile(forwarded, 99)) },
      p99Ratio: (percentile(forwarded, 99) / percentile(direct, 99)).toFixed(2),
      firstUpdate: {
        direct: { p50: ms(percentile(directFirst, 50)), max: ms(directFirst.at(-1) ?? 0) },
        forwarded: { p50: ms(percentile(forwardedFirst, 50)), max: ms(forwardedFirst.at(-1) ?? 0) },
      },
    },
    aggregateAcksPerSecond: { oneNode: Math.round(oneNode), threeNodes: Math.round(threeNodes), ratio: (threeNodes / oneNode).toFixed(2) },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  for (const node of started) node.child.kill("SIGTERM");
  await Promise.all(started.map((node) => new Promise((resolve) => (node.child.exitCode !== null ? resolve(null) : node.child.once("exit", resolve)))));
  await stopAllEngines();
}
