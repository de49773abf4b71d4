/**
 * Plain HTTP: room requests (through `onBeforeRequest`, then the room's `onRequest`), the party
 * listing, then `routes`, the `main` party's `onFetch`, else a 404 — every error as JSON with a code.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { writeAnswer } from "./after-answer.js";
import { clientAddress } from "./client-address.js";
import { isWebSocketHandoff } from "./context.js";
import type { ServerCore } from "./core.js";
import {
  type ErrorBody,
  RuntimeError,
  type RuntimeErrorCode,
  codeOf,
  errorResponse,
  internalErrorResponse,
  methodNotAllowed,
  runtimeErrorResponse,
  unknownPartyError,
} from "./errors.js";
import { hookThrowResponse } from "./hook-throw.js";
import { callUser } from "./guard.js";
import { requestUrl, toWebRequest, writeRawStatus } from "./http-bridge.js";
import { continueOnFirstRead } from "./request-body.js";
import { listParty } from "./listing.js";
import type { PartyDefinition } from "./party-module.js";
import { MAIN_PARTY, routeOf, type Route } from "./routing.js";
import { REFUSED_HEADER, ROOM_MOVED_MESSAGE } from "./placement.js";
import { RoomElsewhere } from "./registry.js";
import { RequestScope } from "./request-scope.js";
import { takeTurn } from "./socket-turns.js";

/** WHATWG Request refuses these, so no user code could see them: answered 405 here. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);
/** What a path outside the listing may take: the methods handed to user code (it decides per path). */
const SERVED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export async function handleHttp(core: ServerCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const socket = req.socket;
  // One after the other on a socket (pipelining): see socket-turns.ts.
  const turn = takeTurn(socket);
  // What its body's reading held counts until the request is over, answered or cut (request-body.ts, BodyBudget).
  res.once("close", () => core.bodies.budget.release(req));
  try {
    await turn.ready;
    await answerRequest(core, req, res);
  } finally {
    // A closing server ends a keep-alive socket once its last answer is written (pipelined requests get theirs):
    // left open and idle, it kept the shutdown waiting for Node's keep-alive timeout.
    if (turn.done() === 0 && core.stopping.aborted && !socket.destroyed) socket.end();
  }
}

/** `Expect: 100-continue`: answered like any request, the `100 Continue` sent once a handler reads the body. */
export function handleExpectContinue(core: ServerCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  continueOnFirstRead(req, () => res.writeContinue());
  return handleHttp(core, req, res);
}

async function answerRequest(core: ServerCore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let response: Response;
  /** This node's own refusal (a 503 thrown, not answered by the room: a forwarded request runs no lobby hook). */
  let refused = false;
  try {
    response = await answer(core, req, res);
    if (isWebSocketHandoff(response)) response = handoffWithoutSocket(core, req);
  } catch (error) {
    if (error instanceof RuntimeError && error.status < 500) {
      response = runtimeErrorResponse(error);
    } else {
      // 503s (shutting down; cluster: no node can serve the room now) are answered to retry, as hooks' throws are.
      response = hookThrowResponse(core.logger, req.url ?? "", error, (retryCode) => {
        if (!retryCode) core.logger.error("http.failed", { code: codeOf(error, "ERR_INTERNAL"), url: req.url, error });
      });
      refused = response.status === 503;
    }
  }
  if (core.placement?.isForwarded(req)) response = forwardedAnswer(response, refused);
  try {
    // Answered before the whole body came in (a 413, a refusal): the rest is drained, bounded, then the socket closed.
    const drained = await writeAnswer(req, res, response, { maxBytes: core.limits.maxDrainBytes, ms: core.limits.drainTimeoutMs, stop: core.stopping });
    if (drained?.cut) core.logger.debug("http.drain_cut", { code: "ERR_BODY_UNREAD", url: req.url, status: response.status, drained: drained.bytes });
  } catch (error) {
    // The client went away mid-body, or the body stream failed: nothing left to answer.
    core.logger.debug("http.write_failed", { code: "ERR_SOCKET", url: req.url, error });
    res.destroy();
  }
}

/**
 * The answer to a forwarded request: it carries REFUSED_HEADER when, and only when, it is this node's refusal (the entry
 * node rejects a stub's fetch with the error it was). A room's own answer carrying that header (copied from another
 * answer, or set by its code) would be taken for one there: a copy without it goes instead.
 */
function forwardedAnswer(response: Response, refused: boolean): Response {
  if (refused) {
    response.headers.set(REFUSED_HEADER, "1");
    return response;
  }
  if (!response.headers.has(REFUSED_HEADER)) return response;
  // A copy: the room's headers may be immutable (a Response from fetch()).
  const own = new Response(response.body, response);
  own.headers.delete(REFUSED_HEADER);
  return own;
}

/** A hook answered a plain request with `stub.fetch` of a request carrying `Upgrade: websocket`: no socket to hand over. */
function handoffWithoutSocket(core: ServerCore, req: IncomingMessage): Response {
  core.logger.error("http.handoff_without_socket", {
    code: "ERR_HOOK_FAILED",
    url: req.url,
    message:
      "A hook answered a plain HTTP request with a WebSocket hand-off (stub.fetch of a request with Upgrade: websocket); only a WebSocket upgrade can be handed to a room",
  });
  return internalErrorResponse();
}

/** The scope of the worker hooks serving this request: what they open ends once its answer is out (or the client left). */
function requestScope(core: ServerCore, res: ServerResponse): RequestScope {
  const scope = new RequestScope(core.partyContext, core.limits.waitUntilMs);
  res.once("close", () => scope.over());
  return scope;
}

async function answer(core: ServerCore, req: IncomingMessage, res: ServerResponse): Promise<Response> {
  if (!core.accepting()) throw shuttingDownError();
  const routed = routeRequest(core, req);
  if (!isRouted(routed)) return routed;
  const { url, route } = routed;
  if (route.kind === "party") {
    const definition = core.parties.get(route.party);
    if (!definition) return unknownParty(core, route.party);
    const unlisted = unlistedBecause(core.listsRooms, definition);
    if (unlisted) return errorResponse("ERR_NOT_FOUND", unlisted, 404);
    if (req.method !== "GET" && req.method !== "HEAD") return methodNotAllowed(["GET", "HEAD"], "Only GET (or HEAD) lists a party");
    return Response.json(await listParty(core.registry, core.openedStorage(), core.logger, route.party));
  }
  if (FORBIDDEN_METHODS.has(req.method ?? "")) return forbiddenMethod(req.method!);
  const coding = unknownTransferCoding(req);
  if (coding !== undefined) {
    return errorResponse("ERR_NOT_IMPLEMENTED", `Transfer-Encoding ${coding} is not supported: send the body chunked or with a Content-Length`, 501);
  }
  // Forwarded by another node of the cluster: that node ran onBeforeRequest and wrote the client's address.
  const viaCluster = core.placement?.isForwarded(req) === true;
  const request = toWebRequest(req, url, { body: core.bodies, clientAddress: viaCluster ? null : clientAddress(req, core.trustedProxies) });
  if (route.kind === "other") return answerOther(core, request, requestScope(core, res));

  const definition = core.parties.get(route.party);
  if (!definition) return unknownParty(core, route.party);
  let forwarded = request;
  if (definition.onBeforeRequest && !viaCluster) {
    const scope = requestScope(core, res);
    const lobby = scope.lobby(route.roomId);
    const verdict = await gateHook(core, "onBeforeRequest", route, () => definition.onBeforeRequest!(request, lobby, scope.executionContext()));
    if (verdict instanceof Response) return verdict;
    if (verdict instanceof Request) forwarded = verdict;
  }
  return requestRoom(core, route.party, route.roomId, forwarded, viaCluster);
}

/**
 * Why a party's rooms are not listed, if they are not. By default a party that guards its rooms is not listed: its
 * `onBeforeConnect`/`onBeforeRequest` see one room's requests, never the listing, which would name every room.
 */
function unlistedBecause(listsRooms: boolean | undefined, party: Pick<PartyDefinition, "onBeforeConnect" | "onBeforeRequest">): string | undefined {
  if (listsRooms === false) return "Room listing is turned off on this server (listRooms: false)";
  if (listsRooms === undefined && (party.onBeforeConnect || party.onBeforeRequest)) {
    return "This party guards its rooms (onBeforeConnect/onBeforeRequest), so their names are not listed; the server's listRooms: true lists them anyway";
  }
  return undefined;
}

/** How many times a request for a room served elsewhere asks where it is (the owner may die meanwhile). */
export const FORWARD_ATTEMPTS = 3;

/**
 * A request to a room's `onRequest`, wherever the room is served: here, or proxied to its owner (cluster). A request
 * another node forwarded is not forwarded again (503 ERR_ROOM_MOVED). Stubs (`context.parties`) come here too.
 */
export async function requestRoom(core: ServerCore, party: string, roomId: string, request: Request, viaCluster = false): Promise<Response> {
  for (let attempt = 0; attempt < FORWARD_ATTEMPTS; attempt++) {
    try {
      return await core.registry.withRoom(party, roomId, (room) => room.request(request));
    } catch (error) {
      if (!(error instanceof RoomElsewhere)) throw error;
      if (viaCluster) throw new RuntimeError("ERR_ROOM_MOVED", ROOM_MOVED_MESSAGE, 503);
      const response = await core.placement!.forwardRequest(error.owner, { party, roomId, request });
      if (response?.headers.has(REFUSED_HEADER)) throw await ownerRefusal(response);
      if (response) return response;
    }
  }
  // Thrown, as every other "cannot be served now" is: a stub's caller gets it as the error a claim refused throws.
  throw ownerUnreachableError();
}

/** The owner node's refusal (REFUSED_HEADER), as the error it was there. */
async function ownerRefusal(response: Response): Promise<RuntimeError> {
  const body = (await response.json().catch(() => undefined)) as Partial<ErrorBody> | undefined;
  const code = (body?.error?.code ?? "ERR_ROOM_UNAVAILABLE") as RuntimeErrorCode;
  return new RuntimeError(code, body?.error?.message ?? "The node serving this room refused the request; try again", response.status);
}

function ownerUnreachableError(): RuntimeError {
  return new RuntimeError("ERR_ROOM_UNAVAILABLE", "The node serving this room cannot be reached; try again", 503);
}

export function ownerUnreachable(): Response {
  return runtimeErrorResponse(ownerUnreachableError());
}

/**
 * A transfer coding of the body other than chunked (and identity), e.g. `gzip, chunked`: Node undoes the chunking only,
 * so every handler would read compressed bytes as the body (RFC 9112 §6.1: answered 501).
 */
function unknownTransferCoding(req: IncomingMessage): string | undefined {
  const header = req.headers["transfer-encoding"];
  if (header === undefined) return undefined;
  return header
    .split(",")
    .map((coding) => coding.trim().toLowerCase())
    .find((coding) => coding !== "chunked" && coding !== "identity" && coding !== "");
}

function forbiddenMethod(method: string): Response {
  return methodNotAllowed(SERVED_METHODS, `${method} is not served`);
}

/** `CONNECT` (Node hands it over apart from other requests, as a raw socket): 405, then the socket is closed. */
export function handleConnect(core: ServerCore, req: IncomingMessage, socket: Duplex): void {
  socket.on("error", () => {}); // a client reset while the answer goes out is no error of ours
  writeRawStatus(socket, forbiddenMethod(req.method ?? "CONNECT"), core.limits.maxRefusalBodyBytes);
}

async function answerOther(core: ServerCore, request: Request, scope: RequestScope): Promise<Response> {
  for (const route of core.routes) {
    const response = await callUser(() => route(request, core.publicServer, scope.fetchLobby())).catch((error) =>
      hookThrowResponse(core.logger, request.url, error, (retryCode) =>
        core.logger[retryCode ? "warn" : "error"]("route.failed", { code: retryCode ?? "ERR_INTERNAL", url: request.url, error }),
      ),
    );
    if (response) return response;
  }
  const onFetch = core.parties.get(MAIN_PARTY)?.onFetch;
  if (onFetch) {
    const response = await userHook(core, "onFetch", { party: MAIN_PARTY }, () => onFetch(request, scope.fetchLobby(), scope.executionContext()));
    if (response instanceof Response) return response;
  }
  return (await notFoundPage(core, request)) ?? errorResponse("ERR_NOT_FOUND", nothingServed(core, new URL(request.url).pathname), 404);
}

/**
 * The 404 of a path nothing serves, saying where the rooms are: the first thing a new user does is open the
 * server's URL in a browser, and "Nothing is served at /" alone did not tell them where to go.
 */
function nothingServed(core: ServerCore, pathname: string): string {
  const parties = namedParties(core);
  const here = parties.length > 0 ? ` (parties here: ${parties.join(", ")})` : "";
  // With a static folder served, the path is not one of its files: telling them to serve a folder would send them
  // looking for a setting they have (a folder without index.html, or `serve` pointing at the wrong one).
  const files = core.servesAssets
    ? "the static folder served has no file at this path"
    : 'a folder of static files is served with --serve <dir> or "serve" in the config (createServer: its assets option)';
  return `Nothing is served at ${pathname}. Rooms are at /parties/{party}/{room}${here}; ${files}`;
}

/** The assets' `/404.html`, as PartyKit answers a page nothing serves (for GET and HEAD: a page is for browsers). */
async function notFoundPage(core: ServerCore, request: Request): Promise<Response | undefined> {
  if (request.method !== "GET" && request.method !== "HEAD") return undefined;
  const page = await core.partyContext.context.assets.fetch("/404.html");
  return page ? new Response(page.body, { status: 404, statusText: "Not Found", headers: page.headers }) : undefined;
}

/** Runs a worker-level hook; a throw is logged and becomes the generic 500 (returned, not thrown). */
export async function userHook<T>(core: ServerCore, hook: string, where: { party: string; roomId?: string }, fn: () => T | Promise<T>): Promise<T | Response> {
  try {
    return await callUser(fn);
  } catch (error) {
    return hookThrowResponse(core.logger, "", error, (retryCode) =>
      core.logger[retryCode ? "warn" : "error"]("party.hook_failed", {
        code: retryCode ?? "ERR_HOOK_FAILED",
        hook,
        party: where.party,
        room: where.roomId,
        error,
      }),
    );
  }
}

/**
 * Runs `onBeforeConnect`/`onBeforeRequest`: a Response refuses, a Request goes on in its place, nothing goes
 * on unchanged (as in PartyKit). Anything else (`false`, a string) is a bug that must not let the request
 * through, since these hooks guard access: 500, and the log says what to return. A throw is a 500 too.
 */
export async function gateHook(
  core: ServerCore,
  hook: string,
  where: { party: string; roomId?: string },
  fn: () => unknown,
): Promise<Request | Response | undefined> {
  const verdict = await userHook(core, hook, where, fn);
  if (verdict === undefined || verdict instanceof Request || verdict instanceof Response) return verdict;
  core.logger.error("party.hook_failed", {
    code: "ERR_HOOK_FAILED",
    hook,
    party: where.party,
    room: where.roomId,
    message: `${hook} returned ${typeof verdict === "string" ? JSON.stringify(verdict) : String(verdict)}: return a Request to go on, a Response to refuse, or nothing`,
  });
  return internalErrorResponse();
}

/** The request's URL and route, or the answer when either is the client's mistake (a bad Host 400, a bad room id 400). */
/** A request routed: its URL and where it goes (see `isRouted`). */
export interface Routed {
  url: URL;
  route: Route;
}

/**
 * Told apart without `instanceof Response`, which would load Node's fetch classes (undici) on a path, the upgrade of a
 * socket to a room, that needs none of them.
 */
export const isRouted = (value: Routed | Response): value is Routed => "route" in value;

export function routeRequest(core: ServerCore, req: IncomingMessage): Routed | Response {
  try {
    const url = requestUrl(req, core);
    return { url, route: routeOf(url.pathname, core.limits.maxRoomIdLength) };
  } catch (error) {
    if (error instanceof RuntimeError) return errorResponse(error.code, error.message, error.status);
    throw error;
  }
}

export function unknownParty(core: ServerCore, party: string): Response {
  return runtimeErrorResponse(unknownPartyError(party, namedParties(core)));
}

/**
 * The parties a client who asks is told of (an unknown party's 404, the 404 of a path nothing serves): those whose
 * rooms `GET /parties/{party}` lists, by the same rule. A guarded party is not named: a project's own (an admin
 * party behind a token), or a mount's (the rooms and game parties, which answer clients 404 themselves since only
 * their sockets reach them).
 */
function namedParties(core: ServerCore): string[] {
  return [...core.parties].filter(([, definition]) => unlistedBecause(core.listsRooms, definition) === undefined).map(([name]) => name);
}

/** Why a request (503) or an upgrade (closed 1001) is refused once the server is closing. */
export const SHUTTING_DOWN_MESSAGE = "The server is shutting down";

/** Answered with `Retry-After`, as every 503 of a server that cannot serve now (runtimeErrorResponse): another node may serve. */
function shuttingDownError(): RuntimeError {
  return new RuntimeError("ERR_SHUTTING_DOWN", SHUTTING_DOWN_MESSAGE, 503);
}
