/** The server the browser and interop tests talk to: a real yparty server whose rooms are `DocumentParty`. */
import { createServer, silentLogger } from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";

export interface Backend {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startBackend(): Promise<Backend> {
  const server = createServer({
    parties: { main: DocumentParty },
    port: 0,
    host: "127.0.0.1",
    persist: false,
    logger: silentLogger(),
  });
  const { port } = await server.listen();
  return { host: `127.0.0.1:${port}`, port, close: () => server.close() };
}
