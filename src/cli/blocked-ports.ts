/**
 * The Fetch standard's "bad ports" (https://fetch.spec.whatwg.org/#port-blocking): ports of other protocols (IRC,
 * X11, SIP, …) that browsers and Node's fetch() refuse to connect to. A server listening on one serves, but no page
 * can reach it directly and yparty's own admin commands (fetch) cannot either; both are told so by name.
 */
const BLOCKED = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
  139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** The port of an http(s) URL when it is one browsers and fetch() refuse, else undefined. */
export function blockedPort(url: string): number | undefined {
  const { port } = new URL(url);
  return port !== "" && BLOCKED.has(Number(port)) ? Number(port) : undefined;
}

/** Why a server on `port` is out of reach of browsers and fetch(), and what to do. */
export function blockedPortAdvice(port: number): string {
  return `port ${port} is one browsers and fetch() refuse to connect to (a "bad port" of the Fetch standard): pages cannot reach this server directly, nor can yparty list/tail/delete/export. Start it on another port (--port 1999, or --port 0 for a free one), or put a proxy in front of it on another port`;
}
