/** Where `createServer({ sockets })` mounts the rooms protocol unless told otherwise (the config's `rooms.path`). */
export const DEFAULT_ROOMS_PATH = "/rooms";

/** Every limit of the rooms protocol, with its default, in one place (documented in docs/rooms.md). */
export interface RoomsLimits {
  /** Bad frames after the handshake (each answered `error`); the one that reaches this closes the socket 4400. */
  maxProtocolErrors: number;
  /** A dropped session may be resumed (`handshake.session_id`) for this long; its rooms keep its seat meanwhile. */
  resumeWindowMs: number;
  /** Patches a room keeps for clients that have not acked them; one further behind gets a snapshot. */
  maxKeptPatches: number;
  /** Unsent bytes on a socket above which unreliable messages are coalesced (newest per sender and type) instead of sent. */
  unreliableBufferBytes: number;
  /** Unsent bytes on a socket above which the client is closed 4008: too slow for reliable messages. */
  maxReliableBufferBytes: number;
  /** Time to wait for `handshake` before closing 4400. */
  handshakeTimeoutMs: number;
  /**
   * A room writes its state to `room.storage` at most this often (0: after every patch), and always at unload
   * (idle, reload, graceful shutdown). A crash loses at most this much of the state.
   */
  saveIntervalMs: number;
  /** Rooms one session may be in (or joining) at once; a join past it is refused. */
  maxRoomsPerSession: number;
  /**
   * Least time between two snapshots a client asks of one room (`state.resync`, an ack whose checksum differs):
   * asks within it are answered by one snapshot when it ends, so a flood of 60-byte asks cannot make a room send its
   * whole state thousands of times a second.
   */
  minSnapshotIntervalMs: number;
  /** Bytes of patches a room keeps for members that have not acked them (besides `maxKeptPatches`). */
  maxKeptPatchBytes: number;
  /**
   * How long the matchmaker waits for a match's room to store the seats it holds before telling the players
   * (match-seats.ts): past it (a storage write that never settles) they are told anyway, and it is logged.
   */
  seatStoreTimeoutMs: number;
}

export const DEFAULT_ROOMS_LIMITS: Readonly<RoomsLimits> = Object.freeze({
  maxProtocolErrors: 10,
  resumeWindowMs: 30_000,
  maxKeptPatches: 512,
  unreliableBufferBytes: 64 * 1024,
  maxReliableBufferBytes: 8 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  saveIntervalMs: 250,
  maxRoomsPerSession: 32,
  minSnapshotIntervalMs: 1_000,
  maxKeptPatchBytes: 8 * 1024 * 1024,
  seatStoreTimeoutMs: 10_000,
});
