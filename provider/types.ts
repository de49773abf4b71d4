/** The provider's option and event payload types (the event map itself lives with the class). */
import type * as awarenessProtocol from "y-protocols/awareness";
import type { CloseCode } from "../src/protocol/index.js";
import type { EndpointOptions, ParamsProvider } from "./url.js";

export interface YPartyKitProviderOptions extends EndpointOptions {
  /** Connect from the constructor (default true). */
  connect?: boolean;
  /** Query parameters, or a (sync or async) function called again before every connection attempt. */
  params?: ParamsProvider;
  awareness?: awarenessProtocol.Awareness;
  /** A WebSocket class where there is no global one (Node 20: the `ws` package). */
  WebSocketPolyfill?: typeof WebSocket | null;
  /** Ask the server for its state every this many ms (default: never). */
  resyncInterval?: number;
  /** Cap of the reconnect delay in ms (default 2500). */
  maxBackoffTime?: number;
  /**
   * An attempt whose `params()` has not settled, or whose socket has not opened, within this many ms is given up and
   * retried with backoff (default 10000); within 2 s of the browser going offline or coming back online, at most.
   * `Infinity`: no limit but that 2 s. Must be above 0.
   */
  connectTimeout?: number;
  /** No cross-tab sync (default: on in browsers, off elsewhere). */
  disableBc?: boolean;
  /** The `_pk` connection id (default: a random UUID). */
  connectionId?: string;
  /** Ask yparty for durable acknowledgements (`?yparty_ack=1`), which drive `unsyncedChanges` (default true). */
  durableAcks?: boolean;
}

export type ConnectionStatus = "connecting" | "connected" | "disconnected";

/** What `connection-close` carries: the socket's CloseEvent, or this shape when we closed it ourselves. */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

export interface AuthFailure {
  code: typeof CloseCode.Unauthorized | typeof CloseCode.Forbidden;
  reason: string;
}

/** The server closed because of what we sent (a change it cannot take): 1007 or 1009, the reason naming why. */
export interface ChangeRefusal {
  code: typeof CloseCode.InvalidMessage | typeof CloseCode.MessageTooBig;
  reason: string;
  /** The server's error code, when its reason starts with one (`ERR_UPDATE_TOO_LARGE: …`). */
  error: string | undefined;
}
