/**
 * WebSocket upgrades, validated step by step; every refusal is answered as HTTP on the raw socket
 * before it is destroyed, so the client sees a status and a JSON body (or the `Response` that
 * `onBeforeConnect` returned). `ws` itself then checks the handshake headers. A socket goes to the room
 * its path names, or to the room a WebSocket hand-off from `onBeforeConnect` / `onFetch` names.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket as WsSocket } from "ws";
import { INTERNAL_SOCKET_HEADER, isWebSocketHandoff } from "./context.js";
import type { ServerCore } from "./core.js";
import { CloseCode, fitCloseReason } from "../protocol/index.js";
import { RuntimeError, codeOf, errorResponse, internalErrorResponse, retryCloseCode, runtimeErrorResponse } from "./errors.js";
import { lazyConnectionContext, writeRawStatus } from "./http-bridge.js";
import { callUser, isThenable } from "./guard.js";
import type { PartyDefinition } from "./party-module.js";
import type { ConnectionContext, FetchSocket } from "./party-types.js";
import { MAIN_PARTY } from "./routing.js";
import { retryCloseOf } from "./hook-throw.js";
import { FORWARD_ATTEMPTS, gateHook, isRouted, ownerUnreachable, routeRequest, SHUTTING_DOWN_MESSAGE, unknownParty, userHook } from "./http-handler.js";
import { ROOM_MOVED_MESSAGE, type RoomPlacement } from "./placement.js";
import { acceptMountedSocket } from "./socket-mounts.js";
import { RoomElsewhere } from "./registry.js";
import { adoptRawSocket } from "./raw-sockets.js";
import { refuseRoomSocket, type RoomConnection } from "./connection.js";
import { ignoreError } from "./ws.js";
import { upgradeSocket } from "./handshake.js";
import { releaseFirstWrite } from "./first-write.js";
import { CorkedFirstWrite } from "./corked-first-write.js";
import { sameSecret } from "./same-secret.js";
import type { Upgrade } from "./upgrade.js";
import { joinPairedSocket } from "./paired-socket.js";
import { RequestScope } from "./request-scope.js";
import { type PairedWebSocket, WHEN_CLOSED, webSocketOf } from "./websocket-pair.js";

/** The close of a stub's socket whose opener (the socket a worker hook served) closed. */
const OPENER_CLOSED = "The socket it was opened for closed";

export function handleUpgrade(core: ServerCore, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  let outcome: Refusal | Promise<Refusal>;
  try {
    outcome = upgrade(core, { req, socket, head });
  } catch (error) {
    outcome = upgradeFailed(core, req, error);
  }
  // Handed on in this turn (a connect to a running room): its new owner (`ws`) listens for its errors, and a socket
  // emits none synchronously. Otherwise, until `ws` owns it, a client reset must not become an unhandled 'error'.
  if (outcome === undefined) return;
  socket.on("error", ignoreError);
  if (isThenable(outcome)) {
    outcome.then(undefined, (error: unknown) => upgradeFailed(core, req, error)).then((refusal) => answer(core, socket, refusal));
  } else {
    answer(core, socket, outcome);
  }
}

/** What an upgrade is answered with over HTTP, or undefined once the socket was handed on. */
type Refusal = Response | undefined;

function upgradeFailed(core: ServerCore, req: IncomingMessage, error: unknown): Response {
  core.logger.error("upgrade.failed", { code: "ERR_INTERNAL", url: req.url, error });
  return internalErrorResponse();
}

function answer(core: ServerCore, socket: Duplex, refusal: Refusal): void {
  if (refusal) writeRawStatus(socket, refusal, core.limits.maxRefusalBodyBytes);
  else socket.off("error", ignoreError);
}

/** Where an accepted socket goes: a room, with the URL and context its `onConnect` sees. */
interface Target {
  party: string;
  roomId: string;
  url: URL;
  context: ConnectionContext;
}

/** Told apart without `instanceof Response` (see `isRouted`): a socket to a Yjs room never loads Node's fetch classes. */
const isTarget = (value: Target | Response): value is Target => "context" in value;

/**
 * The refusal to answer, or undefined once the socket was handed to a room (or to `onSocket`). Synchronous unless a
 * hook (`onBeforeConnect`, `onFetch`) or the cluster's placement must be waited for: a socket to a room whose party
 * has no `onBeforeConnect` makes no promise on its way in.
 */
function upgrade(core: ServerCore, up: Upgrade): Refusal | Promise<Refusal> {
  if (!core.accepting()) return closeShuttingDown(core, up);
  const routed = routeRequest(core, up.req);
  if (!isRouted(routed)) return routed;
  const { url, route } = routed;
  if (route.kind !== "room") return upgradeElsewhere(core, up, url, route.kind);
  const target = roomTarget(core, up.req, url, route);
  if (!isThenable(target)) return place(core, up, target);
  const epoch = core.rawSockets.epoch; // onBeforeConnect may answer with a WebSocketPair end
  return target.then((found) => place(core, up, found, epoch));
}

/** An upgrade to a path that names no room: a mounted socket, the main party's `onSocket`, or its `onFetch`'s hand-off. */
async function upgradeElsewhere(core: ServerCore, up: Upgrade, url: URL, kind: "party" | "other"): Promise<Refusal> {
  const epoch = core.rawSockets.epoch; // onFetch may answer with a WebSocketPair end
  const mounted = kind === "other" ? core.sockets.get(url.pathname) : undefined;
  if (mounted) return acceptMountedSocket(core, up, url, mounted);
  const main = core.parties.get(MAIN_PARTY);
  if (kind === "other" && main?.onSocket) return acceptFetchSocket(core, up, url, main.onSocket);
  if (kind !== "other" || !main?.onFetch) return errorResponse("ERR_NOT_FOUND", `No WebSocket is served at ${url.pathname}`, 404);
  return place(core, up, await fetchTarget(core, up.req, url, main.onFetch), epoch);
}

/**
 * A room found for the socket: accepted here, forwarded to the node serving it (cluster), or refused. `epoch`: the
 * raw sockets' epoch before the hook that answered `target` ran (see `RawSockets.epoch`).
 */
function place(core: ServerCore, up: Upgrade, target: Target | Response, epoch?: number): Refusal | Promise<Refusal> {
  if (!isTarget(target)) {
    // A hook's 101 with a WebSocketPair end: the socket is joined to it (a Worker serving it, or refusing with a close).
    const end = webSocketOf(target);
    if (end) return acceptPairedSocket(core, up, end, epoch);
    // The hook threw what is worth a retry (a stub's call to a room that cannot be served now): closed as such.
    const retry = retryCloseOf(target);
    return retry ? acceptToClose(core, up, retry.code, retry.reason) : target;
  }
  if (!core.accepting()) return closeShuttingDown(core, up);
  return core.placement ? placeInCluster(core, core.placement, up, target) : acceptHere(core, up, target);
}

async function placeInCluster(core: ServerCore, placement: RoomPlacement, up: Upgrade, target: Target): Promise<Refusal> {
  const elsewhere = await forwardIfElsewhere(core, placement, up, target);
  return elsewhere === HERE ? acceptHere(core, up, target) : elsewhere;
}

function acceptHere(core: ServerCore, up: Upgrade, target: Target): Refusal {
  const live = core.registry.get(target.party, target.roomId);
  if (live && live.connections.size >= core.limits.maxConnectionsPerRoom) {
    return errorResponse("ERR_ROOM_FULL", `Room "${target.roomId}" is full`, 503);
  }
  if (up.socket.destroyed) return undefined;
  acceptIntoRoom(core, up, target);
  return undefined;
}

/**
 * A socket to a room: through its party's `onBeforeConnect` (a Request goes on, a hand-off goes elsewhere, a
 * Response refuses). Without the hook (or for yparty's own sockets) the target is answered at once.
 */
function roomTarget(
  core: ServerCore,
  req: IncomingMessage,
  url: URL,
  route: { party: string; roomId: string },
): Target | Response | Promise<Target | Response> {
  const definition = core.parties.get(route.party);
  if (!definition) return unknownParty(core, route.party);
  // Forwarded by another node of the cluster: that node ran onBeforeConnect and wrote the client's address.
  const given = req.headers[INTERNAL_SOCKET_HEADER];
  const internal = (typeof given === "string" && sameSecret(given, core.partyContext.internalToken)) || core.placement?.isForwarded(req) === true;
  // A stub's socket keeps the headers its caller gave it, as on PartyKit (where it never crosses the network).
  const context = lazyConnectionContext(req, url, internal ? null : core.trustedProxies);
  const target: Target = { party: route.party, roomId: route.roomId, url, context };
  if (!definition.onBeforeConnect || internal) return target;
  return beforeConnect(core, definition.onBeforeConnect, target);
}

async function beforeConnect(core: ServerCore, onBeforeConnect: NonNullable<PartyDefinition["onBeforeConnect"]>, target: Target): Promise<Target | Response> {
  const request = target.context.request;
  const route = { party: target.party, roomId: target.roomId };
  const scope = new RequestScope(core.partyContext, core.limits.waitUntilMs);
  let verdict: unknown;
  try {
    verdict = await gateHook(core, "onBeforeConnect", route, () => onBeforeConnect(request, scope.lobby(target.roomId), scope.executionContext()));
  } finally {
    endWithAnswer(scope, verdict);
  }
  if (verdict instanceof Response) return handedOff(core, verdict);
  return verdict instanceof Request ? { ...target, url: new URL(verdict.url), context: { request: verdict } } : target;
}

const HERE = Symbol("here");

/**
 * Cluster: a room served by another node gets the socket relayed there (the owner's answer, then the bytes both ways).
 * An owner that cannot be reached is asked again after its lease (the placement waits), so the room is claimed here.
 * A socket another node forwarded is never forwarded again: 503 ERR_ROOM_MOVED, and the client's retry finds the owner.
 */
async function forwardIfElsewhere(core: ServerCore, placement: RoomPlacement, up: Upgrade, target: Target): Promise<typeof HERE | Response | undefined> {
  for (let attempt = 0; attempt < FORWARD_ATTEMPTS; attempt++) {
    let owner: string | undefined;
    try {
      owner = await core.registry.locate(target.party, target.roomId);
    } catch (error) {
      // (shutting down: given up as this node leaves the cluster, its claim waiting for Redis)
      const retry = retryCloseCode(error);
      if (retry !== undefined) return acceptToClose(core, up, retry, (error as Error).message);
      if (error instanceof RuntimeError && error.status < 600) return runtimeErrorResponse(error);
      throw error;
    }
    if (owner === undefined) return HERE;
    if (placement.isForwarded(up.req)) return errorResponse("ERR_ROOM_MOVED", ROOM_MOVED_MESSAGE, 503);
    const forward = { party: target.party, roomId: target.roomId, request: target.context.request };
    if (await placement.forwardUpgrade(owner, up, forward)) return undefined;
  }
  return ownerUnreachable();
}

/**
 * An upgrade that cannot be served now, and is worth a retry: the socket is accepted and closed with `code` and why.
 * No node can serve the room now (its claim failed: Redis or the storage did not answer): 1013, as a room that cannot
 * load is on one node. The server is shutting down: 1001, as its open sockets are closed. A refused upgrade reaches a
 * browser's page as a bare 1006, with nothing to say it is worth a retry.
 */
function acceptToClose(core: ServerCore, { req, socket, head }: Upgrade, code: number, message: string): undefined {
  if (socket.destroyed) return undefined;
  core.wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
    ws.on("error", ignoreError);
    ws.close(code, fitCloseReason(message));
  });
  return undefined;
}

function closeShuttingDown(core: ServerCore, up: Upgrade): undefined {
  return acceptToClose(core, up, CloseCode.GoingAway, SHUTTING_DOWN_MESSAGE);
}

/** A socket to a path outside the parties, without `onSocket`: the main party's `onFetch` may hand it to a room (as on PartyKit). */
async function fetchTarget(core: ServerCore, req: IncomingMessage, url: URL, onFetch: NonNullable<PartyDefinition["onFetch"]>): Promise<Target | Response> {
  const { request } = lazyConnectionContext(req, url, core.trustedProxies);
  const scope = new RequestScope(core.partyContext, core.limits.waitUntilMs);
  let answer: unknown;
  try {
    answer = await userHook(core, "onFetch", { party: MAIN_PARTY }, () => onFetch(request, scope.fetchLobby(), scope.executionContext()));
  } finally {
    endWithAnswer(scope, answer);
  }
  if (answer instanceof Response) return handedOff(core, answer);
  return errorResponse("ERR_NOT_FOUND", `No WebSocket is served at ${url.pathname}`, 404);
}

/**
 * What a hook's stubs opened while it answered an upgrade ends with the socket it serves (a WebSocketPair end: party.io's
 * connector lives as long as its client), else with this answer (a refusal, a hand-off to a room), as a request's.
 */
function endWithAnswer(scope: RequestScope, answer: unknown): void {
  const end = answer instanceof Response ? webSocketOf(answer) : undefined;
  if (end) end[WHEN_CLOSED](() => scope.over(OPENER_CLOSED));
  else scope.over();
}

/** A hook's Response: a hand-off (`stub.fetch` of the upgrade request) names the room to connect to; any other refuses. */
function handedOff(core: ServerCore, response: Response): Target | Response {
  if (!isWebSocketHandoff(response)) return response;
  if (!core.parties.has(response.party)) return unknownParty(core, response.party);
  return { party: response.party, roomId: response.roomId, url: new URL(response.request.url), context: { request: response.request } };
}

/**
 * Hands the socket to its room. The upgrade's answer (101) and what the room sends in the same turn — a running
 * room's `onConnect` up to its first await: for a Yjs room, sync step 1 and the awareness states — leave in one
 * write: a plain upgrade's 101 is held (first-write.ts) and the small frames sent meanwhile join it; what `ws` writes
 * itself meanwhile (a close, a large frame) releases them first, into the socket, corked until the accept is over.
 * A connection whose `onConnect` has not settled by then (it waits for the room's start, or awaits) keeps the socket
 * corked until it has (corked-first-write.ts), as partyserver answers the upgrade once `onConnect` has settled: its
 * 101, greeting and first answers leave in one write, not three (unless its server takes frames while `onConnect`
 * runs: room.ts lets it in at once).
 * A room that is not ready (its previous instance is unloading; in a cluster, its claim) gets the socket once it
 * is, paused until then, and corked the same way: its connection takes the hold over (or it goes, with a refusal's close).
 */
function acceptIntoRoom(core: ServerCore, { req, socket, head }: Upgrade, target: Target): void {
  let connection: RoomConnection | undefined;
  let waiting: WsSocket | undefined;
  socket.cork();
  try {
    upgradeSocket(core.wss, req, socket, head, (ws: WsSocket) => {
      core.frameBudget.watch(ws, refuseRoomSocket);
      try {
        const room = core.registry.roomNow(target.party, target.roomId);
        if (room) connection = room.accept(ws, target.url, target.context);
        else waiting = ws;
      } catch (error) {
        acceptFailed(core, ws, target, error);
      }
    });
  } finally {
    let held: CorkedFirstWrite | undefined;
    if ((waiting || connection?.awaitsConnect) && !socket.destroyed) {
      // It waits for its room, joins in the room's turn (the room is starting), or its onConnect awaits: the 101
      // goes into the corked socket, and leaves with what onConnect sends once it has settled.
      releaseFirstWrite();
      held = new CorkedFirstWrite(socket);
      connection?.holdFirstWrite(held);
    } else {
      socket.uncork(); // what was written meanwhile (a release came first) goes
      releaseFirstWrite(); // else the 101 and the frames, as one buffer
      connection?.uncorked();
    }
    if (waiting) acceptWhenReady(core, waiting, target, held);
  }
}

/** `held`: its 101, corked in its socket until its connection's `onConnect` has settled (if it was not destroyed). */
function acceptWhenReady(core: ServerCore, ws: WsSocket, target: Target, held: CorkedFirstWrite | undefined): void {
  // Frames and errors wait until the room listens.
  ws.pause();
  ws.on("error", ignoreError);
  core.registry
    .withRoom(target.party, target.roomId, (room) => {
      // Its client went away meanwhile (a reset; paused, it read nothing more): `ws` closed with no one listening, and
      // a connection made of it would never close, keeping the room from unloading.
      if (ws.readyState === ws.CLOSED) return held?.release();
      const connection = room.accept(ws, target.url, target.context);
      if (connection?.awaitsConnect && held) return connection.holdFirstWrite(held);
      held?.release(); // its onConnect settled in the accept, or the room refused it (full): the 101, then the rest
      connection?.uncorked();
    })
    .catch((error) => {
      acceptFailed(core, ws, target, error);
      held?.release(); // the 101, then the close
    });
}

function acceptFailed(core: ServerCore, ws: WsSocket, target: Target, error: unknown): void {
  const code = codeOf(error, "ERR_INTERNAL");
  // No node can serve the room now (cluster: its claim failed), or shutting down: the client retries.
  const retry = retryCloseCode(error);
  core.logger[retry !== undefined ? "warn" : "error"]("upgrade.accept_failed", { code, party: target.party, room: target.roomId, error });
  if (ws.listenerCount("error") === 0) ws.on("error", ignoreError);
  releaseFirstWrite(); // the close frame goes after the upgrade's answer
  // Paused while it waited for its room: it reads again, or the client's answer to the close would wait unread, and
  // the connection with it, for ws's close timeout (30 s).
  if (ws.isPaused) ws.resume();
  if (retry !== undefined) ws.close(retry, fitCloseReason((error as Error).message));
  // Lost to another node between the claim and the accept (cluster): the client's retry reaches the owner.
  else ws.close(error instanceof RoomElsewhere ? CloseCode.TryAgainLater : CloseCode.InternalError);
}

/**
 * PartyKit's `static onSocket`: a WebSocket to a path outside the parties goes to the main party's worker hook, as a
 * WebSocket (`addEventListener`, `send`, `close`; binary frames as ArrayBuffer) with its `request`. It belongs to
 * no room; the server closes it with 1001 when it closes, and with 1012 when a reload replaces the party's code.
 */
function acceptFetchSocket(core: ServerCore, { req, socket, head }: Upgrade, url: URL, onSocket: NonNullable<PartyDefinition["onSocket"]>): undefined {
  const { request } = lazyConnectionContext(req, url, core.trustedProxies);
  if (socket.destroyed) return undefined;
  core.wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
    ws.binaryType = "arraybuffer";
    adoptRawSocket(core, ws, url.pathname, "party");
    // Frames wait until onSocket listens for them (it may await something first), or has returned.
    ws.pause();
    const resume = (): void => {
      ws.off("newListener", onListener);
      if (ws.isPaused) ws.resume();
    };
    const onListener = (event: string | symbol): void => void (event === "message" && queueMicrotask(resume));
    ws.on("newListener", onListener);
    const fetchSocket = Object.assign(ws, { request }) as unknown as FetchSocket;
    // What onSocket's stubs open for this socket ends with it.
    const stubSockets = core.partyContext.stubScope();
    ws.once("close", () => stubSockets.close(CloseCode.GoingAway, OPENER_CLOSED, true));
    callUser(() => onSocket(fetchSocket, core.partyContext.fetchLobby(stubSockets), core.partyContext.executionContext())).then(resume, (error) => {
      core.logger.error("party.hook_failed", { code: "ERR_HOOK_FAILED", hook: "onSocket", party: MAIN_PARTY, error });
      resume(); // a paused socket could not read the client's answer to the close
      ws.close(CloseCode.InternalError, "onSocket failed");
    });
  });
  return undefined;
}

/**
 * `onFetch` or `onBeforeConnect` answered the upgrade with `new Response(null, { status: 101, webSocket: pair[0] })`
 * (Workers' way): the client's socket is joined to that end, so the code holding the other end talks to it (or has
 * closed it: the client gets that close). It belongs to no room, and is closed with the server (1001) and at a
 * reload (1012), as onSocket's.
 */
function acceptPairedSocket(core: ServerCore, { req, socket, head }: Upgrade, end: PairedWebSocket, epoch: number | undefined): undefined {
  if (socket.destroyed) {
    end.close(1006, "");
    return undefined;
  }
  core.wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
    adoptRawSocket(core, ws, new URL(req.url ?? "/", "http://localhost").pathname, "party", epoch);
    joinPairedSocket(ws, end);
  });
  return undefined;
}
