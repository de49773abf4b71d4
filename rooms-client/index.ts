/** yparty/rooms-client: the browser-safe client of the rooms protocol. See docs/rooms.md. */
export { connect, JoinedRoom, RoomsClient, RoomsRequestError, type ConnectOptions, type RoomsClientEvent } from "./client.js";
export { StateMirror, type MirrorVerdict } from "./mirror.js";
export { MessageType, RoomsCloseCode, stateChecksum, type Codec, type MatchFound, type RoomListing } from "../src/rooms/wire/index.js";
