/**
 * Where a room is served, when a server is one node of several (`createServer({ placement })`). The runtime asks it
 * one question before it loads a room — "may I serve this room, or who does?" — and hands requests for rooms served
 * elsewhere to it. Without a placement every room is served here, as on one node; the runtime never knows how the
 * answer is reached (src/cluster answers with Redis leases and PostgreSQL fences).
 */
import type { IncomingMessage } from "node:http";
import type { Storage } from "../../persistence/types.js";
import type { AlarmRecords } from "./alarms.js";
import type { Upgrade } from "./upgrade.js";

/** What the runtime gives a placement: how to stop serving a room it lost. */
export interface PlacementHost {
  /**
   * This node no longer holds the room (its lease ran out, or another node took it): close its connections with
   * 1013 and unload it, without `released` (what it holds is no longer its own).
   */
  lose(party: string, roomId: string): void;
  /**
   * Arms every stored alarm here (the node the cluster picks calls it now and then): one that comes due for a room no
   * node serves claims the room here and fires; one whose room is served elsewhere is left to its owner.
   */
  wakeAlarms(): Promise<number>;
}

export interface RoomPlacement {
  /** Called once by the server before it listens. */
  attach(host: PlacementHost): void;
  /**
   * Before a room loads here: resolves `undefined` once this node holds the room (it may load it now), or the address
   * (`http://host:port`) of the node that serves it. Rejects with a 503 `RuntimeError` when no node can serve it now.
   */
  claim(party: string, roomId: string): Promise<string | undefined>;
  /**
   * Whether this node holds the room now (its lease still valid by this node's clock). Asked before a live room is
   * handed a frame, a request or a connection: a node resumed from a pause (SIGSTOP, a stalled VM) reads what waited
   * in its sockets before its timers tell it the lease ran out. Synchronous and cheap: it is asked for every frame.
   */
  holds(party: string, roomId: string): boolean;
  /** The room stopped here, its last write done: others may take it at once. */
  released(party: string, roomId: string): Promise<void>;
  /** A request another node of the cluster forwarded (it ran the lobby hooks; the client's address is in its headers). */
  isForwarded(req: IncomingMessage): boolean;
  /**
   * Relays a WebSocket upgrade to the room's owner, the client's socket then piped to the owner's. Resolves `false`
   * when the owner could not be reached (nothing was written to `socket`), after its lease ran out: the runtime then
   * asks `claim` again.
   */
  forwardUpgrade(owner: string, upgrade: Upgrade, target: ForwardTarget): Promise<boolean>;
  /** Proxies a request to the room's owner, bodies streamed; `undefined` (after its lease ran out) when it could not be reached. */
  forwardRequest(owner: string, target: ForwardTarget): Promise<Response | undefined>;
  /**
   * The server is closing: sockets relayed to other nodes end now (their clients reconnect elsewhere). The server
   * waits for its connections, which would otherwise keep it for the whole shutdown timeout.
   */
  closing?(): void;
  /**
   * Whether this node runs the tick of `cron` scheduled at `scheduledTime`: asked right before each tick, it resolves
   * `true` on one node of the cluster at most, once per scheduled time (the node that leads, once its claim of the tick
   * is durable). It must answer `false` without awaiting anything when this node does not lead now.
   */
  claimCronTick(cron: string, scheduledTime: number): Promise<boolean>;
  /** Where alarms are stored: each under its room's fence, so only the room's owner writes it. */
  alarmRecords(storage: Storage): AlarmRecords;
}

/** What goes to the owner: the room, and the request (after the lobby hooks, with the client's address in its headers). */
export interface ForwardTarget {
  party: string;
  roomId: string;
  request: Request;
}

/**
 * Marks the answer to a forwarded request as the owner node's own refusal (a 503 of its runtime: the room moved, could
 * not be claimed, the node shuts down), not the room's answer: the entry node turns it back into the error it was, so
 * that a `context.parties` stub's fetch rejects with it wherever the room is, and its client gets it as from the entry.
 */
export const REFUSED_HEADER = "x-yparty-refused";

/** The owner of a room moved while a forwarded request was on its way (no second hop). */
export const ROOM_MOVED_MESSAGE = "The room moved to another node while the request was forwarded; try again";
