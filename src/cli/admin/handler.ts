/**
 * The server's side of the admin API under `/_yparty/`: list the rooms (every node's, in a cluster), tail the log as
 * server-sent events, export or delete a room's stored data; every request needs the admin token.
 */
import { storageName, type LiveRoomInfo, type LogEntry, type RoomListing, type RouteHandler, type YpartyServer } from "../../runtime/index.js";
import { RuntimeError, errorResponse, methodNotAllowed, runtimeErrorResponse } from "../../runtime/errors.js";
import { CliDefaults } from "../defaults.js";
import { tokenMatches } from "./token.js";

/** One row of `yparty list`; in a cluster with `node`, the advertise address of the node serving it (null: none). */
export type RoomRow = Omit<RoomListing, "connections"> & { connections: number | null; node?: string | null };

/** What the admin API needs of a cluster (src/cluster): the whole cluster's rooms, and who serves one. */
export interface ClusterAdmin {
  readonly advertise: string;
  list(local: RoomListing[], fetchLive: (node: string) => Promise<LiveRoomInfo[]>): Promise<{ rooms: RoomRow[]; unreachable: string[] }>;
  ownerOf(party: string, roomId: string): Promise<string | undefined>;
  /** Runs `fn` with the room claimed by this node (its writes are fenced), or says which node holds it. */
  whileClaimed<T>(party: string, roomId: string, fn: () => Promise<T>): Promise<{ owner: string } | { result: T }>;
}

export interface AdminOptions {
  token: string;
  /** The document JSON of a stored Yjs update (the Yjs layer's export). */
  updateToJson: (update: Uint8Array) => unknown;
  /** One node of a cluster: `rooms` answers for every node, a room's delete goes to the node serving it. */
  cluster?: ClusterAdmin;
}

export interface AdminHandler {
  route: RouteHandler<YpartyServer>;
  /** Ends every open `tail` stream (before the server closes, so it does not wait on them). */
  close(): void;
}

/**
 * Server-sent events: one `data:` line of JSON per log entry, and a comment now and then to keep proxies open.
 * The stream ends once, whoever ends it first: the client (cancel) or the server's shutdown (`streams`).
 */
function logStream(server: YpartyServer, streams: Set<() => void>): Response {
  let stop = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const encoder = new TextEncoder();
      const send = (text: string) => controller.enqueue(encoder.encode(text));
      const unsubscribe = server.logger.subscribe((entry: LogEntry) => send(`data: ${JSON.stringify(entry)}\n\n`));
      const keepAlive = setInterval(() => send(": keep-alive\n\n"), CliDefaults.tailKeepAliveMs);
      stop = () => {
        unsubscribe();
        clearInterval(keepAlive);
        streams.delete(end);
        server.logger.debug("admin.tail_ended", {});
      };
      const end = () => {
        stop();
        controller.close();
      };
      streams.add(end);
      send(": connected\n\n");
    },
    cancel: () => stop(),
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-store" } });
}

async function exportRoom(server: YpartyServer, name: string, format: string | null, options: AdminOptions): Promise<Response> {
  if (format !== null && format !== "json" && format !== "binary") {
    return errorResponse("ERR_BAD_FORMAT", `format must be "json" or "binary", got "${format}"`, 400);
  }
  let update: Uint8Array | null;
  try {
    update = await server.storage.docs.load(name);
  } catch (error) {
    // The store says what is wrong and what to run (a damaged document: doctor, repair); not the server's own fault.
    const code = (error as { code?: unknown }).code === "ERR_DOCUMENT_DAMAGED" ? "ERR_DOCUMENT_DAMAGED" : "ERR_LOAD_FAILED";
    return errorResponse(code, `Could not read ${name}: ${(error as Error).message}`, 503);
  }
  if (update === null) {
    // A room of a party that keeps no Yjs document (only room.storage) has nothing to export either: say where to look.
    const message = `No stored document for ${name}: "yparty list" shows the rooms and which hold a Yjs document (STORED above 0 B; KEYS are room.storage, which export does not read)`;
    return errorResponse("ERR_NOT_FOUND", message, 404);
  }
  if (format === "binary") {
    return new Response(Buffer.from(update), { headers: { "content-type": "application/octet-stream" } });
  }
  return Response.json(options.updateToJson(update));
}

async function deleteRoom(server: YpartyServer, party: string, id: string, cluster: ClusterAdmin | undefined): Promise<Response> {
  const name = storageName(party, id);
  // A room in use holds the document in memory and its clients hold copies: deleting under them would be undone. A
  // loaded room nobody uses (a recent GET, a pending alarm) is unloaded first and held until the delete is done.
  const deleteStored = async () => {
    const deleted = await server.deleteRoomData(party, id);
    if (deleted) return Response.json({ deleted: name, existed: deleted.existed });
    const connections = server.rooms().find((room) => room.party === party && room.id === id)?.connections ?? 0;
    const message =
      connections > 0
        ? `${party}/${id} is in use (${connections} connection${connections === 1 ? "" : "s"}); delete it once everyone has left`
        : `${party}/${id} is busy (a request or its alarm is running); try again in a moment`;
    return errorResponse("ERR_ROOM_IN_USE", message, 409);
  };
  if (!cluster) return deleteStored();
  // A cluster writes only rooms it holds: claimed for the delete (fenced like any write), released after.
  const outcome = await cluster.whileClaimed(party, id, deleteStored);
  return "result" in outcome ? outcome.result : errorResponse("ERR_ROOM_IN_USE", `${name} was just taken by ${outcome.owner}; try again`, 409);
}

/**
 * `GET /_yparty/rooms`: every room with its connections and stored size. In a cluster, every node's (each row with
 * its `node`, and the nodes that did not answer); `?local=1` is one node's live rooms, which the others ask for.
 */
async function listRooms(server: YpartyServer, url: URL, options: AdminOptions): Promise<Response> {
  const { cluster, token } = options;
  if (url.searchParams.get("local") === "1") return Response.json({ rooms: server.rooms() });
  if (!cluster) return Response.json({ rooms: await server.roomListing() });
  const fetchLive = async (node: string) => {
    const response = await askNode(node, new URL(`${CliDefaults.adminPrefix}rooms?local=1`, node), "GET", token);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return ((await response.json()) as { rooms: LiveRoomInfo[] }).rooms;
  };
  return Response.json(await cluster.list(await server.roomListing(), fetchLive));
}

/** The same admin request to another node of the cluster (they share the token). */
async function askNode(node: string, url: URL, method: string, token: string): Promise<Response> {
  const target = new URL(url.pathname + url.search, node);
  return fetch(target, { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(CliDefaults.clusterAskTimeoutMs) });
}

/** Splits `/_yparty/rooms/{party}/{room}[/export]` into its decoded parts. */
function roomPath(rest: string): { party: string; id: string; action: string } | undefined {
  const parts = rest.split("/");
  if (parts[0] !== "rooms" || parts.length < 3 || parts.length > 4) return undefined;
  try {
    return { party: decodeURIComponent(parts[1]!), id: decodeURIComponent(parts[2]!), action: parts[3] ?? "" };
  } catch {
    return undefined;
  }
}

/** The admin API under `/_yparty/`: list, tail, export, delete. Every request needs `Authorization: Bearer <token>`. */
export function adminHandler(options: AdminOptions): AdminHandler {
  const streams = new Set<() => void>();
  const route: RouteHandler<YpartyServer> = async (request, server) => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(CliDefaults.adminPrefix)) return undefined;
    if (!tokenMatches(request.headers.get("authorization"), options.token)) {
      const refused = errorResponse("ERR_UNAUTHORIZED", "Missing or wrong admin token", 401);
      // HTTP's 401 names the scheme to use (RFC 9110 §11.6.1); generic clients and proxies act on it.
      refused.headers.set("www-authenticate", `Bearer realm="${CliDefaults.adminRealm}"`);
      return refused;
    }
    try {
      return await answerAdmin(request, server, url, options, streams);
    } catch (error) {
      // A cluster's Redis or storage that cannot be reached now (503): the caller retries.
      if (error instanceof RuntimeError && error.status === 503) return runtimeErrorResponse(error);
      throw error;
    }
  };
  return { route, close: () => [...streams].forEach((end) => end()) };
}

/** An authorized admin request, by its path and method. */
async function answerAdmin(request: Request, server: YpartyServer, url: URL, options: AdminOptions, streams: Set<() => void>): Promise<Response> {
  const rest = url.pathname.slice(CliDefaults.adminPrefix.length);
  // HEAD is GET without the body (RFC 9110 §9.3.2): the runtime drops the body (and ends a log stream at once).
  const reads = request.method === "GET" || request.method === "HEAD";
  if (rest === "rooms") return reads ? listRooms(server, url, options) : methodNotAllowed(["GET", "HEAD"]);
  if (rest === "logs") return reads ? logStream(server, streams) : methodNotAllowed(["GET", "HEAD"]);
  const room = roomPath(rest);
  if (room?.action === "export") {
    return reads ? exportRoom(server, storageName(room.party, room.id), url.searchParams.get("format"), options) : methodNotAllowed(["GET", "HEAD"]);
  }
  if (room?.action === "") {
    if (request.method !== "DELETE") return methodNotAllowed(["DELETE"]);
    const owner = await options.cluster?.ownerOf(room.party, room.id);
    if (owner !== undefined && owner !== options.cluster!.advertise) return askNode(owner, url, request.method, options.token);
    return deleteRoom(server, room.party, room.id, options.cluster);
  }
  return errorResponse("ERR_NOT_FOUND", `No admin route ${request.method} ${url.pathname}`, 404);
}
