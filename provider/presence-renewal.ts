/**
 * Keeps this client's presence alive for the others while the browser throttles the page's timers. y-protocols'
 * Awareness renews the local state from a timer (once it is `outdatedTimeout / 2` = 15 s old, looked at every 3 s), and
 * every peer and the server drop a state not renewed for 30 s; Chrome runs a hidden tab's repeating timers once a
 * minute, so a background tab's cursor vanished for the others for up to half of every minute, then came back. Frames
 * from the server are not throttled: while the page is hidden, one that arrives when our state is `renewAfterMs` old
 * renews it as Awareness's timer does (the same state again, which bumps its clock and is sent). So that frames come in
 * a room where no one else sends anything, a hidden page keeps a wake-up call waiting on its connection (a yparty
 * server answers it with a frame that changes nothing; src/protocol/wake-call.ts).
 */
import type * as awarenessProtocol from "y-protocols/awareness";
import { encodeWakeCall } from "../src/protocol/index.js";

/** Renews the local awareness state if it is set and at least `renewAfterMs` old; true when it did. */
export function renewPresenceIfDue(awareness: awarenessProtocol.Awareness, renewAfterMs: number, now = Date.now()): boolean {
  const state = awareness.getLocalState();
  const meta = awareness.meta.get(awareness.clientID);
  // lastUpdated is lib0's time.getUnixTime(), Date.now(): the clock Awareness's own timer compares with.
  if (state === null || meta === undefined || now - meta.lastUpdated < renewAfterMs) return false;
  awareness.setLocalState(state);
  return true;
}

/** The connection a wake-up call goes out on, whether its server answers them, and whether one of it waits. */
export interface WakeCaller {
  answersWakeCalls: boolean;
  wakeCallPending: boolean;
  sendText(text: string): boolean;
}

/**
 * Asks for a frame in `wakeMs` on `connection`, unless its server is not known to answer (no durable ack came), a call
 * waits there already or there is no presence to keep.
 */
export function callForWake(awareness: awarenessProtocol.Awareness, connection: WakeCaller, wakeMs: number): void {
  if (!connection.answersWakeCalls || connection.wakeCallPending || awareness.getLocalState() === null) return;
  connection.wakeCallPending = connection.sendText(encodeWakeCall(wakeMs));
}
