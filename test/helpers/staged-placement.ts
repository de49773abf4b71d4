/**
 * A room placement for one process that serves every room itself, as a cluster node's does for the rooms it holds, for
 * tests that stage what a cluster does to a room without running one: a claim refused as in a partition (a retryable
 * 503), held until the test settles it, or forwarded elsewhere. What a test does not give is the plain default.
 */
import type * as Party from "../../src/runtime/index.js";

export function stagedPlacement(staged: Partial<Party.RoomPlacement> = {}): Party.RoomPlacement {
  return {
    attach: () => {},
    claim: async () => undefined,
    holds: () => true,
    released: async () => {},
    isForwarded: () => false,
    forwardUpgrade: async () => false,
    forwardRequest: async () => undefined,
    claimCronTick: async () => true,
    alarmRecords: (storage) => storage.kv("__yparty:alarms"),
    ...staged,
  };
}
