/**
 * Seed 002's frames: JSON text `{"cid"?, "type", "payload"}` both ways. A reply to a message that carried `cid`
 * echoes it. Browser-safe (its one import, the depth check, is too), so a client may share it.
 */
import { MAX_FRAME_DEPTH, shapeProblemOf } from "../rooms/wire/depth.js";
import { GameErrorCode, GameMessage, type GameErrorCodeValue } from "./messages.js";

export interface GameEnvelope<P = Record<string, unknown>> {
  cid?: string;
  type: string;
  payload: P;
}

export { GameCloseCode, GameErrorCode, GameMessage } from "./messages.js";

/**
 * A `cid` an `error` echoes: a string, or the number a client sent where a string belongs (refused, but answered
 * with it as given, so a client counting its requests in numbers is not left waiting for its timeout).
 */
export type EchoedCid = string | number;

export class GameWireError extends Error {
  override readonly name = "GameWireError";
  constructor(
    message: string,
    /** The frame's `cid`, when it had one, so even a wrong envelope gets its error correlated. */
    readonly cid?: EchoedCid,
  ) {
    super(message);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Parses a client frame (a missing payload is `{}`). Throws `GameWireError` with the reason. A frame nesting arrays
 * and objects deeper than `MAX_FRAME_DEPTH` (64, the envelope counted) is refused here, before anything recurses
 * over it: JSON.stringify of a payload 10,000 arrays deep overflows the stack and would end the process. So is one
 * holding a `"__proto__"` key: the rooms a session passes frames to refuse it, and in the logic's hands it is a trap
 * (`Object.assign({}, payload)` would set a prototype).
 */
export function parseEnvelope(text: string): GameEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GameWireError("the frame is not valid JSON");
  }
  const echoed = isRecord(value) && (typeof value.cid === "string" || typeof value.cid === "number") ? value.cid : undefined;
  const problem = shapeProblemOf(value, MAX_FRAME_DEPTH);
  if (problem !== undefined) {
    const reason = problem === "depth" ? `nests deeper than ${MAX_FRAME_DEPTH} levels of arrays and objects` : 'holds a "__proto__" key';
    throw new GameWireError(`the frame ${reason}`, echoed);
  }
  if (!isRecord(value)) throw new GameWireError('a frame is a JSON object {"cid"?, "type", "payload"}');
  const { cid, type, payload = {} } = value;
  if (cid !== undefined && typeof cid !== "string")
    throw new GameWireError(`cid must be a string (e.g. "7", not 7): got ${cid === null ? "null" : Array.isArray(cid) ? "an array" : typeof cid}`, echoed);
  if (typeof type !== "string" || type === "") throw new GameWireError("type must be a non-empty string", cid);
  if (!isRecord(payload)) throw new GameWireError("payload must be an object", cid);
  return { ...(cid === undefined ? {} : { cid }), type, payload };
}

export function envelopeJson(type: string, payload: unknown, cid?: EchoedCid): string {
  return JSON.stringify(cid === undefined ? { type, payload } : { cid, type, payload });
}

/** An `error {code, reason}`, answering the request `cid` if given. */
export function errorJson(reason: string, cid: EchoedCid | undefined, code: GameErrorCodeValue = GameErrorCode.BadInput): string {
  return envelopeJson(GameMessage.Error, { code, reason }, cid);
}
