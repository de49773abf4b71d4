/**
 * A yparty server in its own process, for the crash tests: `main` is the built-in DocumentParty (its log is
 * merged when a room unloads), `history` a y-partykit room whose log is merged every 20 updates while it is
 * written. Rooms unload 20 ms after their last connection leaves, so a kill often lands in an unload.
 *   node --import tsx test/reliability/support/crash-server.ts <leveldb dir> [fast|strict]
 * The optional second argument is the server's `durability`.
 * Prints one JSON line `{ "port": n }` once it listens.
 */
import { createServer, silentLogger, type Connection, type Request, type Room } from "../../../src/runtime/index.js";
import { DocumentParty, onConnect, onRequest, type YPartyKitOptions } from "../../../src/yjs/index.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: crash-server.ts <dir> [fast|strict]");
const durability = process.argv[3] as "fast" | "strict" | undefined;
const options: YPartyKitOptions = { persist: { mode: "history", maxUpdates: 20 } };
const history = {
  onConnect: (conn: Connection, room: Room) => onConnect(conn, room, options),
  onRequest: (req: Request, room: Room) => onRequest(req, room, options),
};
const server = createServer({
  parties: { main: DocumentParty, history },
  port: 0,
  host: "127.0.0.1",
  persist: { dir },
  limits: { idleUnloadMs: 20 },
  durability,
  logger: silentLogger(),
});
const { port } = await server.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
