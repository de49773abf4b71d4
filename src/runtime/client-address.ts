/**
 * The client's address, as PartyKit code reads it: `cf-connecting-ip` (and `x-forwarded-for`) on every request
 * and connection request user code sees. It comes from the socket, or with `trustProxy` from the
 * `x-forwarded-for` that the trusted proxies in front appended to; what a client sends itself is never trusted.
 */
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/** `createServer({ trustProxy })`: false, true (one proxy in front) or the number of proxies in front. */
export type TrustProxy = boolean | number;

/** How many proxies in front are trusted to append the address they saw to `x-forwarded-for` (0: none). */
export function trustedProxyCount(trustProxy: TrustProxy | undefined): number {
  if (trustProxy === undefined || trustProxy === false) return 0;
  if (trustProxy === true) return 1;
  if (Number.isInteger(trustProxy) && trustProxy >= 0) return trustProxy;
  throw new TypeError(`trustProxy must be true, false or the number of proxies in front of the server, got ${String(trustProxy)}`);
}

/**
 * The client's address: each trusted proxy appended the address it saw to `x-forwarded-for`, so the client is the
 * entry `proxies` places from the right of [...x-forwarded-for, socket address] (entries further left were written
 * by the client and prove nothing). An entry that is not an address falls back to the socket's.
 */
export function clientAddress(req: IncomingMessage, proxies: number): string {
  const peer = plainAddress(req.socket.remoteAddress ?? "") ?? "";
  if (proxies === 0) return peer;
  const chain = [...forwardedEntries(req, "x-forwarded-for"), peer];
  return plainAddress(chain[Math.max(0, chain.length - 1 - proxies)]!) ?? peer;
}

/**
 * The scheme the client used (a proxy in front ends TLS), as the trusted proxies say in `x-forwarded-proto`: the entry
 * `proxies` places from the right (a proxy that sets the header leaves one; entries further left are the client's).
 * `undefined` without trusted proxies, or when that entry is neither `http` nor `https`.
 */
export function forwardedScheme(req: IncomingMessage, proxies: number): "http" | "https" | undefined {
  if (proxies === 0) return undefined;
  const entries = forwardedEntries(req, "x-forwarded-proto");
  const entry = entries[Math.max(0, entries.length - proxies)]?.toLowerCase();
  return entry === "https" || entry === "http" ? entry : undefined;
}

/** The comma-separated entries of a header the proxies append to (repeated headers joined), trimmed, none empty. */
function forwardedEntries(req: IncomingMessage, name: "x-forwarded-for" | "x-forwarded-proto"): string[] {
  const header = req.headers[name];
  return (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** Sets the address user code reads, over whatever the client sent in the same headers. */
export function setClientAddress(headers: Headers, address: string): void {
  headers.set("cf-connecting-ip", address);
  headers.set("x-forwarded-for", address);
}

/** An IP address without port, brackets or IPv4-mapped prefix (`::ffff:1.2.3.4` is `1.2.3.4`), or undefined. */
function plainAddress(entry: string): string | undefined {
  const address = /^\[(.*)\](?::\d+)?$/.exec(entry)?.[1] ?? /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry)?.[1] ?? entry;
  const unmapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] ?? address;
  return isIP(unmapped) === 0 ? undefined : unmapped;
}
