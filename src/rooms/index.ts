/**
 * yparty/rooms: the room-server protocol of seed 004 (handshake, rooms, messages, authoritative state with JSON
 * Patches, acks and resync, matchmaking) on the party runtime. See docs/rooms.md.
 */
export { createRooms, defineRooms, DEFAULT_ROOMS_PATH, RoomsSessions, type RoomsMount, type RoomsOptions } from "./mount.js";
export { defineRoomType, RoomError, DEFAULT_MAX_CLIENTS, type RoomApi, type RoomInput, type RoomType, type RoomTypeDefinition } from "./define.js";
export { devTokenVerifier, type TokenVerifier } from "./handshake.js";
export { DEFAULT_ROOMS_LIMITS, type RoomsLimits } from "./limits.js";
export { MatchmakingState } from "./matchmaking-state.js";
export * from "./wire/index.js";
