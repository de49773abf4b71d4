/** Shared pieces of the provider tests: real `ws` sockets, event waits with timeouts, cleanup. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket as NodeWebSocket, WebSocketServer } from "ws";
import * as yPartykitModule from "y-partykit/provider";
import * as Y from "yjs";
import { YPartyKitProvider, type YPartyKitProviderOptions } from "../../provider/index.js";
import { decodeMessage } from "../../src/protocol/index.js";

export const WS = NodeWebSocket as unknown as typeof WebSocket;

/**
 * y-partykit's own provider (the anchor). Its types describe a CommonJS module while vitest loads its ESM
 * build, so the class is reached through whichever `default` holds it.
 */
type AnchorModule = { default: AnchorProviderClass & { default?: AnchorProviderClass } };
export interface AnchorProvider {
  doc: Y.Doc;
  awareness: import("y-protocols/awareness").Awareness;
  synced: boolean;
  on(name: string, f: (...args: any[]) => void): unknown;
  off(name: string, f: (...args: any[]) => void): void;
  destroy(): void;
}
export type AnchorProviderClass = new (host: string, room: string, doc: Y.Doc, options: Record<string, unknown>) => AnchorProvider;
const anchorModule = yPartykitModule as unknown as AnchorModule;
export const YPartyKitAnchorProvider: AnchorProviderClass = anchorModule.default.default ?? anchorModule.default;
export const WAIT_MS = 10_000;

/** Resolves when `check()` holds, re-checked whenever `subscribe` reports; rejects after `timeoutMs`. */
export function waitUntil(what: string, check: () => boolean, subscribe: (recheck: () => void) => () => void, timeoutMs = WAIT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const recheck = () => {
      if (!check()) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    unsubscribe = subscribe(recheck);
    recheck();
  });
}

/** `waitUntil`'s subscription to an Awareness's changes. */
export const awarenessChanges =
  (awareness: { on(name: "change", f: () => void): void; off(name: "change", f: () => void): void }) =>
  (recheck: () => void): (() => void) => {
    awareness.on("change", recheck);
    return () => awareness.off("change", recheck);
  };

/** `waitUntil`'s subscription to the updates of `docs`. */
export const docUpdates =
  (...docs: Y.Doc[]) =>
  (recheck: () => void): (() => void) => {
    for (const doc of docs) doc.on("update", recheck);
    return () => docs.forEach((doc) => doc.off("update", recheck));
  };

/** The next `name` event of a provider whose arguments satisfy `accept`. */
export function nextEvent<A extends unknown[]>(
  provider: { on(name: string, f: (...args: A) => void): unknown; off(name: string, f: (...args: A) => void): void },
  name: string,
  accept: (...args: A) => boolean = () => true,
  timeoutMs = WAIT_MS,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const listener = (...args: A) => {
      if (!accept(...args)) return;
      clearTimeout(timer);
      provider.off(name, listener);
      resolve(args);
    };
    const timer = setTimeout(() => {
      provider.off(name, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${name}"`));
    }, timeoutMs);
    provider.on(name, listener);
  });
}

/**
 * A `ws` WebSocket class for a client whose sync step 2 the network delays: while held, the step 2 frames its sockets
 * send wait until `release()` (every other frame goes out at once, so what was sent after a step 2 overtakes it).
 */
export function stepTwoHolder(): { WebSocket: typeof WebSocket; hold(): void; release(): void } {
  let holding = false;
  const held: Array<() => void> = [];
  class StepTwoHoldingWebSocket extends NodeWebSocket {
    override send(data: any, ...rest: any[]): void {
      if (holding && data instanceof Uint8Array && decodeMessage(data).type === "sync-step2") held.push(() => super.send(data));
      else super.send(data, ...rest);
    }
  }
  return {
    WebSocket: StepTwoHoldingWebSocket as unknown as typeof WebSocket,
    hold: () => (holding = true),
    release() {
      holding = false;
      for (const send of held.splice(0)) send();
    },
  };
}

/** Every provider made here is destroyed by `destroyProviders()` (call it in afterEach). */
const live = new Set<{ destroy(): void }>();

export function makeProvider(host: string, room: string, options: YPartyKitProviderOptions = {}, doc = new Y.Doc()): YPartyKitProvider {
  const provider = new YPartyKitProvider(host, room, doc, { WebSocketPolyfill: WS, ...options });
  live.add(provider);
  return provider;
}

export function track<T extends { destroy(): void }>(thing: T): T {
  live.add(thing);
  return thing;
}

export function destroyProviders(): void {
  for (const provider of live) provider.destroy();
  live.clear();
}

export const synced = (provider: Pick<AnchorProvider, "synced" | "on" | "off">): Promise<unknown> =>
  provider.synced ? Promise.resolve() : nextEvent(provider, "synced", (state: boolean) => state);

/** Waits until `texts()` are all equal to `expected`, re-checking on every update of `docs`. */
export function converged(docs: Y.Doc[], read: (doc: Y.Doc) => string, expected: string): Promise<void> {
  return waitUntil(`documents to read ${JSON.stringify(expected)}`, () => docs.every((doc) => read(doc) === expected), docUpdates(...docs));
}

export interface TestHttpServer {
  port: number;
  host: string;
  server: http.Server;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1, port 0 (or the given one), that tracks its sockets so close() is prompt. */
export async function listen(server: http.Server, port = 0): Promise<TestHttpServer> {
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    host: `127.0.0.1:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A WebSocket server whose `onConnection` decides what happens; records every upgrade URL. */
export async function scriptedWsServer(
  onConnection: (socket: import("ws").WebSocket, url: string) => void,
  port = 0,
): Promise<TestHttpServer & { urls: string[]; times: number[] }> {
  const wss = new WebSocketServer({ noServer: true });
  const urls: string[] = [];
  const times: number[] = [];
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => {
    urls.push(req.url ?? "");
    times.push(Date.now());
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req.url ?? ""));
  });
  const listening = await listen(server, port);
  return {
    ...listening,
    urls,
    times,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await listening.close();
    },
  };
}
