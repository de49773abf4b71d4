/**
 * `createServer({ sockets: { "/path": handler } })`: a WebSocket to that exact path goes to `handler`, which may
 * open in-process connections to any party's rooms (`host.connect`). It is how a protocol with its own envelope
 * (the rooms protocol at `/rooms`) multiplexes many rooms over one socket while the rooms stay ordinary parties.
 * The runtime knows nothing of the protocol: it accepts the socket, tracks it for heartbeat and shutdown (1001),
 * and routes each local connection through the registry like any other.
 */
import type { WebSocket as WsSocket } from "ws";
import type { ReloadListener, ServerCore } from "./core.js";
import type { Upgrade } from "./upgrade.js";
import { codeOf, unknownPartyError } from "./errors.js";
import { lazyConnectionContext } from "./http-bridge.js";
import { adoptRawSocket } from "./raw-sockets.js";
import { RoomSideSocket, openerEnd, type LocalConnection, type LocalPeer } from "./local-socket.js";
import type { Logger } from "./log.js";
import { roomPath } from "./room-names.js";
import type { FetchLobby } from "./party-types.js";
import { CloseCode } from "../protocol/index.js";

export type { LocalConnection, LocalPeer } from "./local-socket.js";

/** What a mounted socket handler may reach (one object per server). */
export interface SocketHost {
  /**
   * Opens an in-process connection to room `roomId` of `party`, skipping `onBeforeConnect` (as a stub's socket
   * does); `id` is the connection id the room sees. Frames and closes go through `peer`. A party that does not
   * exist throws `ERR_UNKNOWN_PARTY`; a room that cannot start closes it (1011, 1013; 1001 while shutting down).
   */
  connect(party: string, roomId: string, id: string, peer: LocalPeer): LocalConnection;
  readonly lobby: FetchLobby;
  readonly logger: Logger;
  /**
   * `listener` hears each `server.reload(parties)` as it begins (the runtime's rooms are the new parties' from then on),
   * with those parties and a promise settled when the reload is done. A handler outlives a reload; what it keeps across
   * one (a protocol's sessions) learns of the code change here. Returns what stops it.
   */
  onReload(listener: ReloadListener): () => void;
}

/** Called once per socket, synchronously: add the socket's listeners before returning (no frame is lost). */
export type SocketHandler = (socket: WsSocket, request: Request, host: SocketHost) => void;

/** Accepts the upgrade for a mounted path. Resolves with undefined (the socket is taken). */
export function acceptMountedSocket(core: ServerCore, { req, socket, head }: Upgrade, url: URL, handler: SocketHandler): undefined {
  const { request } = lazyConnectionContext(req, url, core.trustedProxies);
  if (socket.destroyed) return undefined;
  core.wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
    adoptRawSocket(core, ws, url.pathname, "mount");
    try {
      handler(ws, request, socketHost(core));
    } catch (error) {
      core.logger.error("socket.handler_failed", { code: "ERR_HOOK_FAILED", path: url.pathname, error });
      ws.close(CloseCode.InternalError, "Internal error");
    }
  });
  return undefined;
}

const hosts = new WeakMap<ServerCore, SocketHost>();

/** One host per server, so a handler may key what it keeps per server on it. */
function socketHost(core: ServerCore): SocketHost {
  let host = hosts.get(core);
  if (!host) hosts.set(core, (host = newSocketHost(core)));
  return host;
}

function newSocketHost(core: ServerCore): SocketHost {
  return {
    lobby: core.partyContext.fetchLobby(),
    logger: core.logger,
    onReload(listener) {
      core.reloads.add(listener);
      return () => core.reloads.delete(listener);
    },
    connect(party, roomId, id, peer) {
      if (!core.parties.has(party)) throw unknownPartyError(party, core.parties.keys());
      const roomSide = new RoomSideSocket(peer);
      const url = new URL(`${roomPath(party, roomId)}?_pk=${encodeURIComponent(id)}`, `http://${core.authority()}`);
      core.registry
        .withRoom(party, roomId, (room) => room.accept(roomSide as unknown as WsSocket, url, { request: new Request(url) }))
        .catch((error) => {
          const code = codeOf(error, "ERR_INTERNAL");
          core.logger.error("local.accept_failed", { code, party, room: roomId, error });
          roomSide.close(code === "ERR_SHUTTING_DOWN" ? CloseCode.GoingAway : CloseCode.InternalError, "The room could not take the connection");
        });
      return openerEnd(roomSide);
    },
  };
}
