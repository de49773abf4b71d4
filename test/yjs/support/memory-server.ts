/**
 * A yparty server with DocumentParty in its own process, for memory ceilings:
 *   node --expose-gc --import tsx test/yjs/support/memory-server.ts <leveldb dir> [limits as JSON] [document limits as JSON]
 * Prints one JSON line `{ "port": n }` once it listens. `GET /__memory` collects garbage and answers
 * `{ rss, maxRss, heapUsed, external, arrayBuffers, rooms }` (bytes; `maxRss`: the most RSS the process ever had;
 * `rooms` = live rooms); `GET /__memory?idle` answers once no room is live any more (each unload is logged as
 * `room.stopped`), `?slicing` once a room has started to apply an update in slices (`yjs.update_slicing`, now or
 * before); `?nogc` skips the collection. `whenSliced`: the process's memory usage as the last update applied in
 * slices was all in, before the frames held meanwhile were handled. `GET /__hold` is answered once a `GET /__release`
 * comes (which answers `{ released }`, or with `?peek` only `{ holding }`: how many wait).
 */
import { createLogger, createServer } from "../../../src/runtime/index.js";
import { DocumentParty } from "../../../src/yjs/index.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: memory-server.ts <dir> [limits JSON]");
const limits = process.argv[3] ? (JSON.parse(process.argv[3]) as Record<string, number>) : {};
const documentLimits = process.argv[4] ? (JSON.parse(process.argv[4]) as Record<string, number>) : {};
const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error("run with --expose-gc");

// Quiet, but at debug level so that `room.stopped` reaches the subscriber below.
const logger = createLogger({ level: "debug", write: () => {} });
let slicing = false;
/** `process.memoryUsage()` as the last update applied in slices was all in (before the frames held meanwhile are handled). */
let whenSliced: NodeJS.MemoryUsage | undefined;
logger.subscribe((entry) => {
  if (entry.event === "yjs.update_slicing") slicing = true;
  if (entry.event === "yjs.update_sliced") whenSliced = process.memoryUsage();
});
const whenSlicing = () =>
  new Promise<void>((resolve) => {
    if (slicing) return resolve();
    const stop = logger.subscribe((entry) => entry.event === "yjs.update_slicing" && (stop(), resolve()));
  });
const noLiveRoom = () =>
  new Promise<void>((resolve) => {
    const check = () => server.rooms().length === 0 && (stop(), resolve());
    const stop = logger.subscribe((entry) => entry.event === "room.stopped" && check());
    check();
  });

/** The `/__hold` requests not answered yet. */
const holds: Array<() => void> = [];

const server = createServer({
  parties: { main: DocumentParty },
  port: 0,
  host: "127.0.0.1",
  persist: { dir },
  logger,
  limits,
  documentLimits,
  routes: [
    // An answer the requests pipelined behind it wait for: given once a `/__release` comes.
    (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/__hold") return new Promise<Response>((resolve) => holds.push(() => resolve(new Response("released"))));
      if (path !== "/__release") return undefined;
      if (new URL(req.url).searchParams.has("peek")) return Response.json({ holding: holds.length });
      const released = holds.splice(0);
      for (const answer of released) answer();
      return Response.json({ released: released.length });
    },
    async (req) => {
      if (new URL(req.url).pathname !== "/__memory") return undefined;
      const query = new URL(req.url).searchParams;
      if (query.has("idle")) await noLiveRoom();
      if (query.has("slicing")) await whenSlicing();
      if (!query.has("nogc")) collect();
      const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
      const maxRss = process.resourceUsage().maxRSS * 1024;
      return Response.json({ rss, maxRss, heapUsed, external, arrayBuffers, rooms: server.rooms().length, whenSliced });
    },
  ],
});
const { port } = await server.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
