/**
 * The REST API under `/api` (what does not fit the socket), with `Authorization: Bearer <token>` checked by the
 * same verifier as `session.connect` (401 without, or with a refused token). Each call goes to the caller's player
 * room (a stub fetch: in-process), which answers it:
 *   POST /api/friends {"player_id"}           → {player_id, state}: "invite_sent", or "friend" when the other had added you
 *   GET  /api/friends                         → {friends: [{player_id, state, status?}]} (status of friends only)
 *   GET  /api/notifications                   → {notifications: [{id, type, subject, content, created_at, read}]}
 *   POST /api/notifications/{id}/read         → {id, read: true}; 404 for an unknown id
 * HEAD is GET without the body; the scheme `Bearer` is taken in any case (RFC 9110, 11.1).
 * Errors are the runtime's `{"error": {"code", "message"}}` with 400, 401, 404, 405, 409 or 413 (a body over
 * `limits.maxRequestBytes`); the server-wide body limits answer 408 (a body that stalls) and 503 (too many at once).
 */
import { readBodyAtMost } from "../runtime/http-bridge.js";
import type { FetchLobby, RouteHandler, YpartyServer } from "../runtime/index.js";
import { verifyPlayer, type TokenVerifier } from "../rooms/tokens.js";
import { PLAYER_PARTY } from "./parties.js";
import { HttpError, playerId } from "./player-party.js";

const ENDPOINTS: Array<{ pattern: RegExp; methods: string[] }> = [
  { pattern: /^\/friends$/, methods: ["GET", "HEAD", "POST"] },
  { pattern: /^\/notifications$/, methods: ["GET", "HEAD"] },
  { pattern: /^\/notifications\/[^/]+\/read$/, methods: ["POST"] },
];

/**
 * `served`: the token check and limits of the mount served now (the sessions', src/rooms/served-sessions.ts), read at
 * each request: a program that reloads a new `createGame` keeps the first mount's routes (given once to
 * `createServer`), and a token the reload's check refuses must not reach the API where the socket refuses it.
 */
export function gameApi(apiPath: string, served: () => { verifyToken: TokenVerifier; limits: { maxRequestBytes: number } }): RouteHandler {
  return async (request: Request, server: YpartyServer, lobby: FetchLobby) => {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith(`${apiPath}/`)) return undefined;
    const rest = pathname.slice(apiPath.length);
    const endpoint = ENDPOINTS.find(({ pattern }) => pattern.test(rest));
    if (!endpoint) return new HttpError(404, `no such endpoint: ${pathname}`).toResponse();
    if (!endpoint.methods.includes(request.method)) {
      return new HttpError(405, `${request.method} is not allowed here (${endpoint.methods.join(", ")})`).toResponse({ allow: endpoint.methods.join(", ") });
    }
    const { verifyToken, limits } = served();
    const { maxRequestBytes } = limits;
    const token = /^Bearer +(\S.*)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    const verified =
      token === undefined
        ? { refused: "Authorization: Bearer <token> is required" }
        : await verifyPlayer(verifyToken, token, { projectId: "", request }, server.logger);
    if ("refused" in verified) return new HttpError(401, verified.refused).toResponse({ "www-authenticate": "Bearer" });
    try {
      playerId(verified.player);
    } catch (error) {
      return (error as HttpError).toResponse();
    }
    let body: string | undefined;
    if (request.method === "POST") {
      const bytes = await readBodyAtMost(request, maxRequestBytes);
      if (!bytes) return new HttpError(413, `The body is over ${maxRequestBytes} bytes`).toResponse();
      body = bytes.toString("utf8");
    }
    // HEAD: the runtime writes a HEAD request's answer without its body.
    const method = request.method === "HEAD" ? "GET" : request.method;
    return lobby.parties[PLAYER_PARTY]!.get(verified.player).fetch(rest, { method, ...(body === undefined ? {} : { body }) });
  };
}
