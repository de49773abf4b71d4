/**
 * The first frame of a rooms socket: `handshake {v: 1, codecs, project_id, token, session_id?}`, always JSON text.
 * Anything else first, or a malformed handshake, gets `error {reason}` and close 4400; a refused token (or another
 * project's id) `error` and 4401. Frames that arrive while the token is checked wait and follow in order.
 */
import type { WebSocket as WsSocket } from "ws";
import { checkEnvelope, CODECS, EnvelopeError, MAX_FRAME_DEPTH, MessageType, RoomsCloseCode, wireShapeProblem, type Codec } from "./wire/index.js";
import { Session, type SessionContext } from "./session.js";
import { verifyPlayer, type TokenVerifier } from "./tokens.js";

export { devTokenVerifier, type TokenVerifier } from "./tokens.js";

export interface HandshakeOptions {
  verifyToken: TokenVerifier;
  /** When set, a handshake with another `project_id` is refused (4401). */
  projectId?: string;
}

interface Handshake {
  codec: Codec;
  projectId: string;
  token: string;
  sessionId?: string;
}

export function acceptRoomsSocket(ws: WsSocket, request: Request, ctx: SessionContext): void {
  const { limits, handshake: options } = ctx.served.code; // the served mount's, as the socket came
  const early: Array<string | Uint8Array> = [];
  let stage: "waiting" | "verifying" | "done" = "waiting";
  const refuse = (code: number, reason: string): void => {
    stage = "done";
    clearTimeout(timeout);
    ws.off("message", onFrame);
    ws.send(JSON.stringify({ t: MessageType.Error, p: { reason } }));
    ws.close(code, code === RoomsCloseCode.Unauthorized ? "Unauthorized" : "Bad handshake");
  };
  const timeout = setTimeout(() => refuse(RoomsCloseCode.BadRequest, `no handshake within ${limits.handshakeTimeoutMs} ms`), limits.handshakeTimeoutMs);
  const onFrame = (data: Buffer, isBinary: boolean): void => {
    if (stage === "verifying") return void early.push(isBinary ? new Uint8Array(data) : data.toString("utf8"));
    if (stage !== "waiting") return;
    let handshake: Handshake;
    try {
      handshake = parseHandshake(isBinary ? undefined : data.toString("utf8"));
    } catch (error) {
      return refuse(RoomsCloseCode.BadRequest, error instanceof EnvelopeError ? error.message : "malformed handshake");
    }
    stage = "verifying";
    void verify(handshake);
  };
  ws.on("message", onFrame);
  ws.once("close", () => {
    stage = "done";
    clearTimeout(timeout);
  });

  async function verify(handshake: Handshake): Promise<void> {
    const projectOk = options.projectId === undefined || options.projectId === handshake.projectId;
    const verified = projectOk
      ? await verifyPlayer(options.verifyToken, handshake.token, { projectId: handshake.projectId, request }, ctx.logger)
      : { refused: "the token was refused" };
    if (stage !== "verifying") return; // closed meanwhile
    if ("refused" in verified) return refuse(RoomsCloseCode.Unauthorized, verified.refused);
    const player = verified.player;
    stage = "done";
    clearTimeout(timeout);
    ws.off("message", onFrame);
    const previous = handshake.sessionId === undefined ? undefined : ctx.sessions.get(handshake.sessionId);
    const resumed = previous !== undefined && previous.player === player;
    const session = resumed ? previous : new Session(player, ctx);
    session.attach(ws, handshake.codec, resumed);
    session.replay(early);
  }
}

function parseHandshake(text: string | undefined): Handshake {
  if (text === undefined) throw new EnvelopeError("the first frame must be a JSON text handshake");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new EnvelopeError("the first frame is not valid JSON (expected a handshake)");
  }
  const problem = wireShapeProblem(value, MAX_FRAME_DEPTH);
  if (problem !== undefined) throw new EnvelopeError(`the handshake ${problem}`);
  const { t, p } = checkEnvelope(value);
  if (t !== MessageType.Handshake) throw new EnvelopeError(`the first frame must be a handshake, got "${t}"`);
  if (p.v !== 1) throw new EnvelopeError("handshake.v must be 1");
  if (!Array.isArray(p.codecs) || !p.codecs.every((codec) => typeof codec === "string"))
    throw new EnvelopeError("handshake.codecs must be a list of codec names");
  const codec = (p.codecs as string[]).find((name): name is Codec => (CODECS as readonly string[]).includes(name));
  if (!codec) throw new EnvelopeError(`no supported codec in handshake.codecs (this server speaks ${CODECS.join(", ")})`);
  if (typeof p.project_id !== "string") throw new EnvelopeError("handshake.project_id must be a string");
  if (typeof p.token !== "string") throw new EnvelopeError("handshake.token must be a string");
  if (p.session_id !== undefined && typeof p.session_id !== "string") throw new EnvelopeError("handshake.session_id must be a string");
  return { codec, projectId: p.project_id, token: p.token, ...(p.session_id === undefined ? {} : { sessionId: p.session_id }) };
}
