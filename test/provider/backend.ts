/**
 * The server the provider tests talk to. Until yparty's Yjs room lands this is y-websocket's reference
 * server (same binary protocol, no custom messages, no acks).
 */
import http from "node:http";
import { setupWSConnection } from "@y/websocket-server/utils";
import { WebSocketServer } from "ws";
import { listen } from "./support.js";

export interface Backend {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startBackend(port = 0): Promise<Backend> {
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => setupWSConnection(ws, req)));
  const listening = await listen(server, port);
  return {
    host: listening.host,
    port: listening.port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await listening.close();
    },
  };
}
