/** yparty/game-client: the browser-safe client of the game protocol (seed 002). See docs/game.md. */
export { connect, GameClient, type GameClientEvents, type GameConnectOptions, type GameErrorEvent, type GameStatus, type StatusEvent } from "./client.js";
export { GameRequestError, type GameRequestErrorKind } from "./errors.js";
export { apiUrlFor, GameApi, type TokenSource } from "./rest.js";
export * from "../src/game/messages.js";
