/** Hocuspocus (`@hocuspocus/server` 3.x) with no extensions: documents live in memory only. */
import { Server } from "@hocuspocus/server";
import { announceReady, closeOnSignals } from "./lifecycle.js";

const server = new Server({ port: 0, address: "127.0.0.1", quiet: true, stopOnSignals: false });
await server.listen();
announceReady(server.address.port);

closeOnSignals(async () => {
  await server.destroy();
});
