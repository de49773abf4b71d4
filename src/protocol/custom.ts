/**
 * Custom string messages travel as text frames with this prefix, both ways (y-partyserver's convention),
 * so they never mix with the binary Yjs frames.
 */
export const CUSTOM_MESSAGE_PREFIX = "__YPS:";

export const encodeCustomMessage = (message: string): string => CUSTOM_MESSAGE_PREFIX + message;

/** The message inside a custom text frame, or `null` when the text frame is not one. */
export const decodeCustomMessage = (text: string): string | null => (text.startsWith(CUSTOM_MESSAGE_PREFIX) ? text.slice(CUSTOM_MESSAGE_PREFIX.length) : null);
