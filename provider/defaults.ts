/**
 * Every timing and size default of the provider, in one place. Options override some of them; the rest
 * are fixed because a server never needs to tune them.
 */
export const ProviderDefaults = {
  /** The party a room lives in when `party` is not given (PartyKit's convention). */
  party: "main",
  /** First reconnect delay before jitter; it doubles on every failed attempt. */
  initialBackoffMs: 100,
  /** Cap of the reconnect delay (y-partykit's `maxBackoffTime` default). */
  maxBackoffMs: 2_500,
  /**
   * A connection that synced and stayed open this long counts as healthy: its loss restarts the backoff from
   * the first step. A shorter one (a server that accepts and then closes right away) keeps growing it.
   */
  stableConnectionMs: 5_000,
  /**
   * `connectTimeout` default: an attempt whose `params()` has not settled, or whose socket has not opened, this long
   * is given up and retried with backoff. One attempt that never completed (a token fetch that hangs, a handshake
   * nobody answers) left the provider "connecting" for good, and nothing typed meanwhile reached the server.
   */
  attemptTimeoutMs: 10_000,
  /** With no frame from the server this long, probe it with a sync step 1 (the server always answers). */
  probeAfterSilenceMs: 15_000,
  /** With no frame from the server this long, the connection is dead: close it and reconnect. */
  deadAfterSilenceMs: 30_000,
  /**
   * The slowest uplink the watchdog allows for (32 KiB/s, 256 kbit/s): a probe's wait starts once what was sent before
   * it would be through at this rate, as the server reads it all before it answers. A 5 MB paste on a slow link is
   * silence while it goes out; without the allowance every new socket was dropped mid-upload and started it over.
   */
  slowestUplinkBytesPerSecond: 32 * 1024,
  /**
   * The browser went offline or came back online: an open socket must answer a probe this soon, and an attempt under
   * way get its params and its socket open, or it is given up. When the browser is offline only a server on this
   * machine or network can still answer, and such a one answers in ms.
   */
  networkChangeAnswerMs: 2_000,
  /**
   * Bytes still in the browser's send queue (`bufferedAmount`) this long after they were sent are held back by a full
   * OS buffer: when some of them leave after a network change, the server's side acknowledged bytes on the network now
   * in use. Bytes sent just before may be in the queue only until the browser hands them to a buffer with room.
   */
  sendQueueSettleMs: 250,
  /**
   * While the page is hidden (its timers throttled), a frame from the server renews our awareness state this old
   * (presence-renewal.ts), within the 30 s after which peers and the server drop it; what makes frames come is the
   * wake-up call below (and, from any server, the other clients' own renewals: every 15–18 s).
   */
  presenceRenewOnFrameMs: 10_000,
  /**
   * While the page is hidden, the provider keeps a wake-up call waiting on its connection (presence-renewal.ts): the
   * yparty server sends a frame this long after it is asked, so a frame comes at least this often even when no one
   * else sends anything, and our state is renewed at most 10 + 12 = 22 s apart. One frame of 3 bytes each way per call.
   */
  presenceWakeCallMs: 12_000,
  /** How often the silence watchdog looks. */
  watchdogIntervalMs: 3_000,
  /** Incoming chunked (y-pk-batch) frames above this size are refused. */
  maxIncomingFrameBytes: 64 * 1024 * 1024,
  /** `useYProvider` without a window (server rendering): a provider no effect claimed by then is destroyed. */
  unclaimedWithoutWindowMs: 1_000,
  /** `resyncInterval` default: no periodic resync. */
  resyncInterval: -1,
} as const;

/** The code the provider closes its own socket with (`disconnect()`, watchdog). */
export const LOCAL_CLOSE_CODE = 1000;
