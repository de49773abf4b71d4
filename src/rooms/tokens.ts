/**
 * Token verification, shared by every protocol that authenticates a player with a token (the rooms handshake,
 * seed 002's `session.connect` and its REST API): the project's verifier, guarded, and the checks every player id
 * passes, since it names connections, storage keys and JSON Pointer paths.
 */
import { CONTROL_CHARACTERS, type Logger } from "../runtime/index.js";

/** Returns the player id for a token, or null (or undefined) to refuse it. */
export type TokenVerifier = (token: string, context: { projectId: string; request: Request }) => string | null | undefined | Promise<string | null | undefined>;

/** Every non-empty token; the player id is the token, without a `dev:` prefix. For development only. */
export const devTokenVerifier: TokenVerifier = (token) => (token.startsWith("dev:") ? token.slice(4) : token) || null;

export const MAX_PLAYER_ID_LENGTH = 128;

export type Verified = { player: string } | { refused: string };

/** Runs the verifier (a throw is logged and refuses) and checks the player id it gives. */
export async function verifyPlayer(verify: TokenVerifier, token: string, context: { projectId: string; request: Request }, logger: Logger): Promise<Verified> {
  let player: string | null | undefined;
  try {
    player = await verify(token, context);
  } catch (error) {
    logger.error("token.verify_failed", { code: "ERR_HOOK_FAILED", error });
    player = null;
  }
  if (typeof player !== "string" || player === "") return { refused: "the token was refused" };
  if (player.length > MAX_PLAYER_ID_LENGTH || CONTROL_CHARACTERS.test(player)) {
    return { refused: `the token gave an unusable player id (at most ${MAX_PLAYER_ID_LENGTH} characters, no control characters)` };
  }
  return { player };
}
