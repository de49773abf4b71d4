/**
 * A yparty server with DocumentParty in its own process, for memory ceilings:
 *   node --expose-gc --import tsx test/yjs/support/memory-server.ts <leveldb dir> [limits as JSON]
 * Prints one JSON line `{ "port": n }` once it listens. `GET /__memory` collects garbage and answers
 * `{ rss, heapUsed, external, arrayBuffers, rooms }` (bytes; `rooms` = live rooms); `GET /__memory?idle` answers
 * once no room is live any more (each unload is logged as `room.stopped`).
 */
import { createLogger, createServer } from "../../../src/runtime/index.js";
import { DocumentParty } from "../../../src/yjs/index.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: memory-server.ts <dir> [limits JSON]");
const limits = process.argv[3] ? (JSON.parse(process.argv[3]) as Record<string, number>) : {};
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error("run with --expose-gc");

// Quiet, but at debug level so that `room.stopped` reaches the subscriber below.
const logger = createLogger({ level: "debug", write: () => {} });
const noLiveRoom = () =>
  new Promise<void>((resolve) => {
    const check = () => server.rooms().length === 0 && (stop(), resolve());
    const stop = logger.subscribe((entry) => entry.event === "room.stopped" && check());
    check();
  });

const server = createServer({
  parties: { main: DocumentParty },
  port: 0,
  host: "127.0.0.1",
  persist: { dir },
  logger,
  limits,
  routes: [
    async (req) => {
      if (new URL(req.url).pathname !== "/__memory") return undefined;
      if (new URL(req.url).searchParams.has("idle")) await noLiveRoom();
      if (!new URL(req.url).searchParams.has("nogc")) collect();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      return Response.json({ rss, heapUsed, external, arrayBuffers, rooms: server.rooms().length });
    },
  ],
});
const { port } = await server.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
