/**
 * yparty's built-in Yjs party, as `yparty start` runs it: `--dir <folder>` stores on LevelDB there, `--store <url>`
 * in PostgreSQL, otherwise everything stays in memory. Logging is kept to errors, as the peers run quiet.
 */
import { createLogger, createServer } from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { announceReady, closeOnSignals } from "./lifecycle.js";

const dirFlag = process.argv.indexOf("--dir");
const dir = dirFlag >= 0 ? process.argv[dirFlag + 1] : undefined;
const storeFlag = process.argv.indexOf("--store");
const store = storeFlag >= 0 ? process.argv[storeFlag + 1] : undefined;

const server = createServer({
  parties: { main: DocumentParty },
  port: 0,
  ...(store ? { store } : { persist: dir ? { dir } : false }),
  logger: createLogger({ level: "error" }),
});
const { port } = await server.listen();
announceReady(port);

closeOnSignals(() => server.close());
