/**
 * Real client providers in Node (ws as the WebSocket), and event-driven waits on their documents.
 * Every provider made here is destroyed by `destroyProviders()`.
 */
import { afterEach } from "vitest";
import WebSocket from "ws";
import type * as Y from "yjs";
import type { Awareness } from "y-protocols/awareness";
import * as yPartykitProvider from "y-partykit/provider";
import YProvider from "y-partyserver/provider";
import { WebsocketProvider } from "y-websocket";
import { cleanupAll } from "../../helpers/server.js";
import { withTimeout } from "./fake-client.js";

export type ProviderKind = "y-partykit" | "y-partyserver" | "y-websocket";
export const PROVIDER_KINDS: ProviderKind[] = ["y-partykit", "y-partyserver", "y-websocket"];

export interface AnyProvider {
  awareness: Awareness;
  synced: boolean;
  ws: { url?: string } | null;
  on(event: string, fn: (...args: any[]) => void): void;
  off(event: string, fn: (...args: any[]) => void): void;
  destroy(): void;
  sendMessage?(message: string): void;
}

const live = new Set<AnyProvider>();

// y-partykit's typings are CommonJS-flavoured; at run time the ESM build's default export is the class.
type ProviderClass = new (host: string, room: string, doc: Y.Doc, options: object) => unknown;
const YPartyKitProvider = ((yPartykitProvider as { default: unknown }).default as { default?: unknown }).default
  ? ((yPartykitProvider as { default: { default: unknown } }).default.default as ProviderClass)
  : ((yPartykitProvider as { default: unknown }).default as ProviderClass);

/** `base` is the server's http URL; `params` go into the query string. */
export function makeProvider(kind: ProviderKind, base: string, party: string, room: string, doc: Y.Doc, params: Record<string, string> = {}): AnyProvider {
  const host = base.replace(/^http:\/\//, "");
  const polyfill = WebSocket as unknown as typeof globalThis.WebSocket;
  let provider: AnyProvider;
  if (kind === "y-partykit") {
    provider = new YPartyKitProvider(host, room, doc, { party, params, WebSocketPolyfill: polyfill, disableBc: true }) as unknown as AnyProvider;
  } else if (kind === "y-partyserver") {
    provider = new YProvider(host, room, doc, { party, params, WebSocketPolyfill: polyfill, disableBc: true }) as unknown as AnyProvider;
  } else {
    const url = `${base.replace(/^http/, "ws")}/parties/${party}`;
    provider = new WebsocketProvider(url, room, doc, { params, WebSocketPolyfill: polyfill, disableBc: true }) as unknown as AnyProvider;
  }
  live.add(provider);
  return provider;
}

export function destroyProviders(): void {
  for (const provider of live) provider.destroy();
  live.clear();
}

/**
 * The list a test file keeps its clients' Y.Docs in. After each test every provider and every doc in it is destroyed,
 * then the test servers are stopped (providers first, so none reconnects to a server going down).
 */
export function clientDocs(): Y.Doc[] {
  const docs: Y.Doc[] = [];
  afterEach(async () => {
    destroyProviders();
    for (const doc of docs.splice(0)) doc.destroy();
    await cleanupAll();
  });
  return docs;
}

export function whenSynced(provider: AnyProvider, ms = 5_000): Promise<void> {
  if (provider.synced) return Promise.resolve();
  return withTimeout(
    new Promise<void>((resolve) => {
      const onSync = (synced: boolean) => synced && (provider.off("sync", onSync), resolve());
      provider.on("sync", onSync);
    }),
    ms,
    "provider sync",
  );
}

/** Resolves once `predicate(doc)` holds, checking after every update of `doc`. */
export function until(doc: Y.Doc, predicate: (doc: Y.Doc) => boolean, what: string, ms = 5_000): Promise<void> {
  if (predicate(doc)) return Promise.resolve();
  let handler: () => void;
  return withTimeout(
    new Promise<void>((resolve) => {
      handler = () => predicate(doc) && resolve();
      doc.on("update", handler);
    }),
    ms,
    what,
  ).finally(() => doc.off("update", handler));
}

/** Resolves once `predicate(awareness)` holds, checking after every awareness change. */
export function untilAwareness(awareness: Awareness, predicate: (a: Awareness) => boolean, what: string, ms = 5_000): Promise<void> {
  if (predicate(awareness)) return Promise.resolve();
  let handler: () => void;
  return withTimeout(
    new Promise<void>((resolve) => {
      handler = () => predicate(awareness) && resolve();
      awareness.on("change", handler);
    }),
    ms,
    what,
  ).finally(() => awareness.off("change", handler));
}
