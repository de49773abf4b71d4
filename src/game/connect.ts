/**
 * The start of a game socket: `session.connect {token}` must come first. Anything else first is answered with
 * `error` (its `cid` echoed) and the socket stays open for a `session.connect`; a refused token gets `error` and
 * close 4401; no `session.connect` within `sessionTimeoutMs`, 4408. Frames sent right behind `session.connect`
 * wait while the token is checked, then follow in order: the socket is not read meanwhile (TCP pushes back on the
 * client, as the runtime does for a room's held frames), so what is held here is at most the rest of one socket read.
 */
import type { WebSocket as WsSocket } from "ws";
import { verifyPlayer } from "../rooms/tokens.js";
import { type EchoedCid, GameCloseCode, GameMessage, type GameWireError, errorJson, parseEnvelope, type GameEnvelope } from "./wire.js";
import { closedIfTooBig, GameSession, type GameContext } from "./session.js";

export function acceptGameSocket(ws: WsSocket, request: Request, ctx: GameContext): void {
  const { limits, verifyToken } = ctx.served.code; // the served mount's, as the socket came
  const early: Array<string | null> = []; // null: a binary frame
  let stage: "waiting" | "verifying" | "done" = "waiting";
  let errors = 0;
  const bad = (cid: EchoedCid | undefined, reason: string): void => {
    ws.send(errorJson(reason, cid));
    if (++errors >= limits.maxProtocolErrors) finish(GameCloseCode.BadRequest, `Too many bad frames (${limits.maxProtocolErrors})`);
  };
  const finish = (code?: number, reason?: string): void => {
    stage = "done";
    clearTimeout(timeout);
    ws.off("message", onFrame);
    if (ws.isPaused) ws.resume(); // the session reads on, or `ws` reads the client's answer to the close
    if (code !== undefined) ws.close(code, reason);
  };
  const timeout = setTimeout(() => finish(GameCloseCode.SessionTimeout, "No session.connect in time"), limits.sessionTimeoutMs);
  const onFrame = (data: Buffer, isBinary: boolean): void => {
    if (stage === "done" || closedIfTooBig(ws, data, limits)) return;
    if (stage === "verifying") return void early.push(isBinary ? null : data.toString("utf8"));
    if (isBinary) return bad(undefined, "frames are JSON text");
    let envelope: GameEnvelope;
    try {
      envelope = parseEnvelope(data.toString("utf8"));
    } catch (error) {
      return bad((error as GameWireError).cid, (error as GameWireError).message);
    }
    const { cid, type, payload } = envelope;
    if (type !== GameMessage.SessionConnect) return bad(cid, `send session.connect {token} first (got "${type}")`);
    if (typeof payload.token !== "string" || payload.token === "") return bad(cid, "payload.token must be a non-empty string");
    stage = "verifying";
    ws.pause(); // what the client sends meanwhile waits in TCP, not here
    void verify(payload.token, cid);
  };
  ws.on("message", onFrame);
  ws.once("close", () => finish());

  async function verify(token: string, cid: string | undefined): Promise<void> {
    const verified = await verifyPlayer(verifyToken, token, { projectId: "", request }, ctx.logger);
    if (stage !== "verifying") return; // closed meanwhile
    if ("refused" in verified) {
      ws.send(errorJson(verified.refused, cid));
      return finish(GameCloseCode.Unauthorized, "Unauthorized");
    }
    const session = ctx.sessions.get(verified.player) ?? new GameSession(verified.player, ctx);
    session.attach(ws, cid);
    session.replay(early);
    finish(); // reads on, into the session, after the held frames
  }
}
