/**
 * A yparty server with DocumentParty in its own process, for the SIGKILL test:
 *   node --import tsx test/yjs/support/child-server.ts <leveldb dir>
 * Prints one JSON line `{ "port": n }` once it listens.
 */
import { createServer, silentLogger } from "../../../src/runtime/index.js";
import { DocumentParty } from "../../../src/yjs/index.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: child-server.ts <dir>");
const server = createServer({ parties: { main: DocumentParty }, port: 0, host: "127.0.0.1", persist: { dir }, logger: silentLogger() });
const { port } = await server.listen();
process.stdout.write(`${JSON.stringify({ port })}\n`);
