/**
 * Which part of the server a URL path belongs to. Room ids (and party names) are URL-decoded exactly
 * once; anything after the room segment stays in the URL the room's `onRequest` receives.
 */
import { RuntimeError } from "./errors.js";

/** The party `/party/{room}` addresses (PartyKit's default party). */
export const MAIN_PARTY = "main";

export type Route = { kind: "room"; party: string; roomId: string } | { kind: "party"; party: string } | { kind: "other" };

export function routeOf(pathname: string, maxRoomIdLength: number): Route {
  const segments = pathname.split("/");
  // segments[0] is "" (the path starts with "/").
  if (segments[1] === "parties" && segments.length >= 3 && segments[2] !== "") {
    const party = decodeSegment(segments[2]!, "party name");
    if (segments.length === 3 || (segments.length === 4 && segments[3] === "")) return { kind: "party", party };
    return { kind: "room", party, roomId: validRoomId(segments[3]!, maxRoomIdLength) };
  }
  if (segments[1] === "party" && segments.length >= 3) {
    return { kind: "room", party: MAIN_PARTY, roomId: validRoomId(segments[2]!, maxRoomIdLength) };
  }
  return { kind: "other" };
}

/**
 * What follows the room segment of a room's URL, for the room's own routes: `/parties/{party}/{room}/a/b/` and
 * `/party/{room}/a/b` give "a/b"; the room's own URL gives "".
 */
export function roomSubPath(pathname: string): string {
  const segments = pathname.split("/");
  const roomIndex = segments[1] === "party" ? 2 : 3;
  return segments
    .slice(roomIndex + 1)
    .filter((segment) => segment !== "")
    .join("/");
}

/** C0, DEL and C1 controls: invisible in logs and URLs, never a sensible room id, party or player name. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

function validRoomId(segment: string, maxLength: number): string {
  const id = decodeSegment(segment, "room id");
  if (id === "") throw invalidRoomId("The room id is empty");
  if (id.length > maxLength) throw invalidRoomId(`The room id is longer than ${maxLength} characters`);
  if (CONTROL_CHARACTERS.test(id)) throw invalidRoomId("The room id contains control characters");
  return id;
}

function decodeSegment(segment: string, what: string): string {
  if (!segment.includes("%")) return segment; // nothing to decode (most ids): no call into the decoder
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRoomId(`The ${what} has a malformed %-escape`);
  }
}

function invalidRoomId(message: string): RuntimeError {
  return new RuntimeError("ERR_INVALID_ROOM_ID", message, 400);
}
