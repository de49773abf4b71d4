/**
 * The REST API under `/api` (what does not fit the socket), with `Authorization: Bearer <token>` checked by the
 * same verifier as `session.connect` (401 without, or with a refused token). Each call goes to the caller's player
 * room (a stub fetch: in-process), which answers it:
 *   POST /api/friends {"player_id"}           → {player_id, state}: "invite_sent", or "friend" when the other had added you
 *   GET  /api/friends                         → {friends: [{player_id, state, status?}]} (status of friends only)
 *   GET  /api/notifications                   → {notifications: [{id, type, subject, content, created_at, read}]}
 *   POST /api/notifications/{id}/read         → {id, read: true}; 404 for an unknown id
 * Errors are `{"error": "…"}` with 400, 401, 404, 405 or 409.
 */
import type { FetchLobby, RouteHandler, YpartyServer } from "../runtime/index.js";
import { verifyPlayer, type TokenVerifier } from "../rooms/tokens.js";
import { PLAYER_PARTY } from "./parties.js";

const ENDPOINTS: Array<{ pattern: RegExp; methods: string[] }> = [
  { pattern: /^\/friends$/, methods: ["GET", "POST"] },
  { pattern: /^\/notifications$/, methods: ["GET"] },
  { pattern: /^\/notifications\/[^/]+\/read$/, methods: ["POST"] },
];

export function gameApi(apiPath: string, verifyToken: TokenVerifier): RouteHandler {
  return async (request: Request, server: YpartyServer, lobby: FetchLobby) => {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith(`${apiPath}/`)) return undefined;
    const rest = pathname.slice(apiPath.length);
    const endpoint = ENDPOINTS.find(({ pattern }) => pattern.test(rest));
    if (!endpoint) return Response.json({ error: `no such endpoint: ${pathname}` }, { status: 404 });
    if (!endpoint.methods.includes(request.method)) return Response.json({ error: `${request.method} is not allowed here (${endpoint.methods.join(", ")})` }, { status: 405, headers: { allow: endpoint.methods.join(", ") } });
    const token = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
    const verified = token === undefined ? { refused: "Authorization: Bearer <token> is required" } : await verifyPlayer(verifyToken, token, { projectId: "", request }, server.logger);
    if ("refused" in verified) return Response.json({ error: verified.refused }, { status: 401, headers: { "www-authenticate": "Bearer" } });
    const body = request.method === "POST" ? await request.text() : undefined;
    return lobby.parties[PLAYER_PARTY]!.get(verified.player).fetch(rest, { method: request.method, ...(body === undefined ? {} : { body }) });
  };
}
