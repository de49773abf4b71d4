/**
 * A yparty server with DocumentParty in its own process, for the SIGKILL tests:
 *   node --import tsx test/yjs/support/child-server.ts <leveldb dir> [document limits as JSON]
 * Prints one JSON line `{ "port": n }` once it listens, then `{ "event": "yjs.update_slicing" }` whenever a room starts
 * to apply an update in slices (so that a test can kill it then).
 */
import { createLogger, createServer } from "../../../src/runtime/index.js";
import { DocumentParty } from "../../../src/yjs/index.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: child-server.ts <dir> [document limits JSON]");
const documentLimits = process.argv[3] ? (JSON.parse(process.argv[3]) as Record<string, number>) : {};
// Quiet, but at debug level so that the slicing's entry reaches the subscriber below.
const logger = createLogger({ level: "debug", write: () => {} });
logger.subscribe((entry) => entry.event === "yjs.update_slicing" && process.stdout.write(`${JSON.stringify({ event: entry.event })}\n`));
const server = createServer({ parties: { main: DocumentParty }, port: 0, host: "127.0.0.1", persist: { dir }, logger, documentLimits });
const { port } = await server.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
