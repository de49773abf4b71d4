/**
 * Wake-up calls (yparty only): a client asks for one frame `ms` from now, the text frame `yparty-wake#<ms>`, and the
 * server then sends it `WAKE_FRAME`, an awareness update of no entries, which every y-protocols client applies as
 * nothing. For a background tab: the browser throttles its timers to once a minute, not its socket's events, so a
 * frame is how it gets to run in time (provider/presence-renewal.ts). See docs/protocol.md, "Wake-up calls".
 *
 * A text frame, not a new binary message type: the servers a provider may meet go on after a text frame they do not
 * know (yparty before wake-up calls, y-websocket; y-partyserver logs a warning; y-partykit logs an error, reading it as
 * an empty message), where an unknown binary type closes a yparty connection (1007).
 */
import { encodeAwareness, type Message } from "./messages.js";

export const WAKE_CALL_PREFIX = "yparty-wake#";
/** The delays a server honours: a call for less waits this long, one for more this long. */
export const WAKE_CALL_MIN_MS = 1_000;
export const WAKE_CALL_MAX_MS = 60_000;

/** "Send me a frame in `ms`." */
export const encodeWakeCall = (ms: number): string => WAKE_CALL_PREFIX + Math.round(ms);

/** The delay a wake-up call asks for, within the bounds above; `null` when `text` is not one (a server ignores it). */
export function decodeWakeCall(text: string): number | null {
  if (!text.startsWith(WAKE_CALL_PREFIX)) return null;
  const digits = text.slice(WAKE_CALL_PREFIX.length);
  if (!/^[0-9]{1,9}$/.test(digits)) return null;
  return Math.min(Math.max(Number(digits), WAKE_CALL_MIN_MS), WAKE_CALL_MAX_MS);
}

/** The answer: an awareness message whose update holds no entry (`01 01 00`). */
export const WAKE_FRAME: Uint8Array = encodeAwareness(Uint8Array.of(0));

/**
 * Whether `message` is the answer to a wake-up call: on a provider's socket, yes (the one other such frame answers a
 * query-awareness in a room with no state, a query the provider never sends on its socket).
 */
export const isWakeFrame = (message: Message): boolean => message.type === "awareness" && message.update.byteLength === 1 && message.update[0] === 0;
