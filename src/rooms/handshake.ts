/**
 * The first frame of a rooms socket: `handshake {v: 1, codecs, project_id, token, session_id?}`, always JSON text.
 * Anything else first, or a malformed handshake, gets `error {reason}` and close 4400; a refused token (or another
 * project's id) `error` and 4401. Frames that arrive while the token is checked wait and follow in order.
 */
import type { WebSocket as WsSocket } from "ws";
import { checkEnvelope, CODECS, EnvelopeError, MessageType, RoomsCloseCode, type Codec } from "./wire/index.js";
import { CONTROL_CHARACTERS, Session, type SessionContext } from "./session.js";

/** Returns the player id for a token, or null (or undefined) to refuse it. */
export type TokenVerifier = (token: string, context: { projectId: string; request: Request }) => string | null | undefined | Promise<string | null | undefined>;

/** Every non-empty token; the player id is the token, without a `dev:` prefix. For development only. */
export const devTokenVerifier: TokenVerifier = (token) => (token.startsWith("dev:") ? token.slice(4) : token) || null;

export interface HandshakeOptions {
  verifyToken: TokenVerifier;
  /** When set, a handshake with another `project_id` is refused (4401). */
  projectId?: string;
}

const MAX_PLAYER_ID_LENGTH = 128;

interface Handshake {
  codec: Codec;
  projectId: string;
  token: string;
  sessionId?: string;
}

export function acceptRoomsSocket(ws: WsSocket, request: Request, ctx: SessionContext, options: HandshakeOptions): void {
  const early: Array<string | Uint8Array> = [];
  let stage: "waiting" | "verifying" | "done" = "waiting";
  const refuse = (code: number, reason: string): void => {
    stage = "done";
    clearTimeout(timeout);
    ws.off("message", onFrame);
    ws.send(JSON.stringify({ t: MessageType.Error, p: { reason } }));
    ws.close(code, code === RoomsCloseCode.Unauthorized ? "Unauthorized" : "Bad handshake");
  };
  const timeout = setTimeout(() => refuse(RoomsCloseCode.BadRequest, `no handshake within ${ctx.limits.handshakeTimeoutMs} ms`), ctx.limits.handshakeTimeoutMs);
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
    let player: string | null | undefined;
    try {
      const projectOk = options.projectId === undefined || options.projectId === handshake.projectId;
      player = projectOk ? await options.verifyToken(handshake.token, { projectId: handshake.projectId, request }) : null;
    } catch (error) {
      ctx.logger.error("rooms.verify_failed", { code: "ERR_HOOK_FAILED", error });
      player = null;
    }
    if (stage !== "verifying") return; // closed meanwhile
    if (typeof player !== "string" || player === "") return refuse(RoomsCloseCode.Unauthorized, "the token was refused");
    // It names connections and JSON Pointer paths in states: keep it short and printable.
    if (player.length > MAX_PLAYER_ID_LENGTH || CONTROL_CHARACTERS.test(player)) {
      return refuse(RoomsCloseCode.Unauthorized, `the token gave an unusable player id (at most ${MAX_PLAYER_ID_LENGTH} characters, no control characters)`);
    }
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
  const { t, p } = checkEnvelope(value);
  if (t !== MessageType.Handshake) throw new EnvelopeError(`the first frame must be a handshake, got "${t}"`);
  if (p.v !== 1) throw new EnvelopeError("handshake.v must be 1");
  if (!Array.isArray(p.codecs) || !p.codecs.every((codec) => typeof codec === "string")) throw new EnvelopeError("handshake.codecs must be a list of codec names");
  const codec = (p.codecs as string[]).find((name): name is Codec => (CODECS as readonly string[]).includes(name));
  if (!codec) throw new EnvelopeError(`no supported codec in handshake.codecs (this server speaks ${CODECS.join(", ")})`);
  if (typeof p.project_id !== "string") throw new EnvelopeError("handshake.project_id must be a string");
  if (typeof p.token !== "string") throw new EnvelopeError("handshake.token must be a string");
  if (p.session_id !== undefined && typeof p.session_id !== "string") throw new EnvelopeError("handshake.session_id must be a string");
  return { codec, projectId: p.project_id, token: p.token, ...(p.session_id === undefined ? {} : { sessionId: p.session_id }) };
}
