/**
 * Where a provider connects: `ws(s)://{host}/parties/{party}/{room}?_pk={id}&{params}&yparty_ack=1`,
 * or `ws(s)://{host}{prefix}?...` when a prefix is given (y-partykit's rule: the prefix is the whole path).
 */
import { ACK_PARAM } from "../src/protocol/index.js";
import { ProviderDefaults } from "./defaults.js";
import { ProviderError } from "./errors.js";

export type Params = Record<string, string | null | undefined>;
/** Query parameters, or a function that yields them; called again on every connection attempt. */
export type ParamsProvider = Params | (() => Params | Promise<Params>);

export interface EndpointOptions {
  party?: string;
  prefix?: string;
  protocol?: "ws" | "wss";
}

/** `host` without scheme or trailing slashes: `https://a.example/` → `a.example`. */
export function normalizeHost(host: string): string {
  return host.replace(/^(https?|wss?):\/\//i, "").replace(/\/+$/, "");
}

function hostname(host: string): string {
  if (host.startsWith("[")) return host.slice(1, host.indexOf("]")); // [::1]:1999
  return host.split(/[:/]/)[0] ?? host;
}

/** Loopback and RFC 1918 private addresses, where TLS is rarely set up: plain `ws`. */
export function isLocalHost(host: string): boolean {
  const name = hostname(host).toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost") || name === "::1" || name === "0.0.0.0") return true;
  const octets = name.split(".").map(Number);
  if (octets.length !== 4 || octets.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return false;
  const [a, b] = octets as [number, number, number, number];
  return a === 127 || a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31);
}

/** The URL without query: what `provider.url` shows before the first attempt, and the BroadcastChannel base. */
export function serverUrl(host: string, options: EndpointOptions): string {
  const bare = normalizeHost(host);
  const protocol = options.protocol ?? (isLocalHost(bare) ? "ws" : "wss");
  const path = options.prefix || `/parties/${options.party || ProviderDefaults.party}`; // "" as absent, as y-partykit reads them
  return `${protocol}://${bare}${path}`;
}

/** The connection URL of one attempt. */
export function connectionUrl(base: string, id: string, params: Params | undefined, durableAcks: boolean): string {
  const query = new URLSearchParams([["_pk", id]]);
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== null && value !== undefined) query.append(key, String(value));
  }
  if (durableAcks) query.set(ACK_PARAM, "1");
  return `${base}?${query.toString()}`;
}

/** Evaluates `params` for one attempt; a throwing or rejecting function becomes a `ProviderError`. */
export async function resolveParams(params: ParamsProvider | undefined): Promise<Params | undefined> {
  try {
    return typeof params === "function" ? await params() : params;
  } catch (cause) {
    throw new ProviderError("ERR_PARAMS", `params() failed: ${(cause as Error)?.message ?? String(cause)}`, cause);
  }
}
