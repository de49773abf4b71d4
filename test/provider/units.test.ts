import { describe, expect, it } from "vitest";
import { Awareness } from "y-protocols/awareness";
import * as Y from "yjs";
import { backoffDelay, wasHealthy } from "../../provider/backoff.js";
import { renewPresenceIfDue } from "../../provider/presence-renewal.js";
import { SaveTracker } from "../../provider/save-status.js";
import { SendLog } from "../../provider/send-queue.js";
import { Watchdog } from "../../provider/watchdog.js";

describe("backoff", () => {
  const timing = { initialMs: 100, maxMs: 2_500 };

  it("doubles per attempt up to the cap, each delay within [ceiling/2, ceiling]", () => {
    const low = (attempt: number) => backoffDelay(attempt, { ...timing, random: () => 0 });
    const high = (attempt: number) => backoffDelay(attempt, { ...timing, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 5, 6].map(low)).toEqual([50, 100, 200, 400, 800, 1250, 1250]);
    expect([0, 1, 2, 3, 4, 5, 6].map(high)).toEqual([100, 200, 400, 800, 1600, 2500, 2500]);
    // Equal jitter: the shortest wait of a step is the longest of the step before.
    for (let attempt = 0; attempt < 4; attempt++) expect(low(attempt + 1)).toBeGreaterThanOrEqual(high(attempt));
  });

  it("spreads clients that retry at the same step", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, timing)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it("resets only after a connection that synced and stayed up", () => {
    expect(wasHealthy(null, 10_000, 5_000)).toBe(false);
    expect(wasHealthy({ openedAt: 0, synced: true }, 100, 5_000)).toBe(false);
    expect(wasHealthy({ openedAt: 0, synced: false }, 60_000, 5_000)).toBe(false);
    expect(wasHealthy({ openedAt: 0, synced: true }, 5_000, 5_000)).toBe(true);
  });
});

describe("save tracker", () => {
  it("counts local changes as unsynced until the messages covering them are acked", () => {
    const save = new SaveTracker();
    save.connectionOpened();
    save.localChange();
    save.updateSent(0); // update 1 → seq 1
    save.localChange();
    save.updateSent(0); // update 2 → seq 2
    expect(save.unsynced).toBe(2);
    save.acknowledged(1);
    expect(save.unsynced).toBe(1);
    save.acknowledged(2);
    expect(save.unsynced).toBe(0);
  });

  it("lets the step 2 of a new connection cover changes made offline or lost in flight", () => {
    const save = new SaveTracker();
    save.connectionOpened();
    save.localChange();
    save.updateSent(0); // sent, never acked: the connection dies
    save.localChange(); // made offline, never sent
    save.connectionOpened();
    save.acknowledged(1); // an ack of the new connection before it sent anything means nothing
    expect(save.unsynced).toBe(2);
    save.stepTwoSent(0); // our step 2 answering the server's step 1
    save.acknowledged(1);
    expect(save.unsynced).toBe(0);
  });

  it("lets an update sent before the step 2 of a new connection cover nothing the step 2 has not delivered", () => {
    const save = new SaveTracker();
    save.connectionOpened();
    save.localChange();
    save.updateSent(1);
    save.acknowledged(1);
    save.localChange(); // made offline
    save.connectionOpened();
    save.localChange();
    save.updateSent(3); // typed before the server's step 1 arrived: the offline change is not on its way yet
    save.acknowledged(1);
    expect(save.unsynced).toBe(2);
    expect(save.ownStructsFrom()).toBe(1);
    save.stepTwoSent(3);
    save.localChange();
    save.updateSent(4); // after the step 2: nothing missing before it
    save.acknowledged(3);
    expect(save.unsynced).toBe(0);
    expect(save.ownStructsFrom()).toBe(4);
  });
});

/** A send queue with nothing in it. */
const nothingQueued = { sent: 0, queued: 0, held: 0 };

describe("watchdog", () => {
  it("probes once after the probe silence and declares the socket dead once the probe went unanswered for the rest of the dead silence", () => {
    let last = 0;
    let frames = 0;
    const calls: string[] = [];
    const dog = new Watchdog(
      {
        lastReceived: () => last,
        framesReceived: () => frames,
        slowestUploadDoneAt: () => 0,
        sendQueue: () => nothingQueued,
        probe: () => calls.push("probe"),
        dead: () => calls.push("dead"),
      },
      { probeAfterMs: 10, deadAfterMs: 30, intervalMs: 1_000_000 },
    );
    dog.check(5);
    dog.check(12);
    dog.check(20);
    expect(calls).toEqual(["probe"]);
    last = 20; // the server answered
    frames++;
    dog.check(25);
    dog.check(35);
    expect(calls).toEqual(["probe", "probe"]);
    dog.check(50); // 30 of silence, but the probe (at 35) has waited 15 of its 20
    expect(calls).toEqual(["probe", "probe"]);
    dog.check(55);
    expect(calls).toEqual(["probe", "probe", "dead"]);
  });

  it("starts the probe's wait once what was sent before it would be through on the slowest uplink allowed for", () => {
    const calls: string[] = [];
    let uploadDoneAt = 25;
    const dog = new Watchdog(
      {
        lastReceived: () => 0,
        framesReceived: () => 0,
        slowestUploadDoneAt: () => uploadDoneAt,
        sendQueue: () => nothingQueued,
        probe: () => calls.push("probe"),
        dead: () => calls.push("dead"),
      },
      { probeAfterMs: 10, deadAfterMs: 30, intervalMs: 1_000_000 },
    );
    dog.check(10);
    uploadDoneAt = 60; // sent after the probe: the server answers the probe before reading it
    dog.check(44); // the probe's 20 from 25, when the upload before it is through
    expect(calls).toEqual(["probe"]);
    dog.check(45);
    expect(calls).toEqual(["probe", "dead"]);
  });

  it("checkSoon (the network changed) probes at once, whatever the silence and the upload, and gives the answer its deadline", () => {
    const calls: string[] = [];
    let last = 100;
    let frames = 0;
    const dog = new Watchdog(
      {
        lastReceived: () => last,
        framesReceived: () => frames,
        slowestUploadDoneAt: () => 1e9,
        sendQueue: () => nothingQueued,
        probe: () => calls.push("probe"),
        dead: (reason) => calls.push(`dead: ${reason}`),
      },
      { probeAfterMs: 10, deadAfterMs: 30, intervalMs: 1_000_000 },
    );
    dog.checkSoon(5, "offline", 100); // not started: no socket
    expect(calls).toEqual([]);
    dog.start();
    dog.checkSoon(5, "offline", 101);
    dog.check(105);
    expect(calls).toEqual(["probe"]);
    last = 105; // answered
    frames++;
    dog.check(200);
    expect(calls).toEqual(["probe", "probe"]); // now a silence probe, which waits for the upload
    dog.checkSoon(5, "online", 201);
    dog.check(206);
    expect(calls).toEqual(["probe", "probe", "probe", "dead: online"]);
    dog.stop();
  });

  it("checkSoon: bytes held back at the change that leave by the deadline keep the socket; the probe, later sends, nothing leaving and bytes that left before a later change do not", () => {
    const calls: string[] = [];
    let queue = { sent: 1_000, queued: 600, held: 600 }; // an upload: 600 bytes held back by a full OS buffer
    const dog = new Watchdog(
      {
        lastReceived: () => 0,
        framesReceived: () => 0,
        slowestUploadDoneAt: () => 500,
        sendQueue: () => queue,
        probe: () => (calls.push("probe"), (queue = { ...queue, sent: queue.sent + 10, queued: queue.queued + 10 })),
        dead: (reason) => calls.push(`dead: ${reason}`),
      },
      { probeAfterMs: 10, deadAfterMs: 30, intervalMs: 1_000_000 },
    );
    dog.start();
    dog.checkSoon(5, "offline", 100);
    queue = { sent: 1_110, queued: 710, held: 710 }; // typed 100 bytes after: queued behind the backlog, nothing left
    dog.check(105);
    expect(calls).toEqual(["probe", "dead: offline"]);

    queue = { sent: 1_000, queued: 600, held: 600 };
    dog.start();
    dog.checkSoon(5, "offline", 200);
    queue = { sent: 1_110, queued: 709, held: 709 }; // one byte of the backlog left: the server's side took it
    dog.check(205);
    expect(calls).toEqual(["probe", "dead: offline", "probe"]);
    dog.check(514); // now a silence probe: its 20 from 500, when the upload would be through on the slowest uplink
    expect(calls).toEqual(["probe", "dead: offline", "probe"]);
    dog.check(520);
    expect(calls).toEqual(["probe", "dead: offline", "probe", "dead: no frame from the server"]);

    queue = { sent: 1_000, queued: 600, held: 100 }; // its head held back, the rest sent just now
    dog.start();
    dog.checkSoon(5, "offline", 300);
    queue = { sent: 1_010, queued: 609, held: 609 }; // one byte left: from the head, so acknowledged
    dog.check(305);
    expect(calls.at(-1)).toBe("probe");

    queue = { sent: 1_000, queued: 600, held: 0 }; // all of it sent just now: maybe only on its way to the OS buffer
    dog.start();
    dog.checkSoon(5, "online", 600);
    queue = { sent: 1_010, queued: 0, held: 0 };
    dog.check(605);
    expect(calls.at(-1)).toBe("dead: online");

    queue = { sent: 1_000, queued: 600, held: 600 };
    dog.start();
    dog.checkSoon(5, "offline", 700);
    queue = { sent: 1_010, queued: 500, held: 500 }; // 110 left after the first change, on the network then in use
    dog.checkSoon(5, "online", 702); // another network: what left before says nothing of it, and nothing leaves now
    dog.check(705);
    expect(calls.at(-1)).toBe("dead: online");
    dog.stop();
  });
});

describe("send log", () => {
  it("counts queued bytes as held back only once they were sent over the settle time ago; text as UTF-8", () => {
    const log = new SendLog(250);
    log.record(new Uint8Array(1_000), 0);
    log.record("é!", 100); // 3 bytes
    expect(log.state(1_003, 200)).toEqual({ sent: 1_003, queued: 1_003, held: 0 });
    expect(log.state(1_003, 300)).toEqual({ sent: 1_003, queued: 1_003, held: 1_000 });
    expect(log.state(500, 300)).toEqual({ sent: 1_003, queued: 500, held: 497 });
    expect(log.state(500, 400)).toEqual({ sent: 1_003, queued: 500, held: 500 });
  });
});

describe("presence renewal", () => {
  it("renews a local state at least renewAfterMs old as Awareness's timer does: the same state, the clock bumped, an update sent", () => {
    const awareness = new Awareness(new Y.Doc());
    try {
      const own = awareness.clientID;
      awareness.setLocalState({ user: "ada" });
      const { clock, lastUpdated } = awareness.meta.get(own)!;
      const updates: unknown[] = [];
      awareness.on("update", (change: unknown) => updates.push(change));
      expect(renewPresenceIfDue(awareness, 10_000, lastUpdated + 9_999)).toBe(false);
      expect(updates).toEqual([]);
      expect(renewPresenceIfDue(awareness, 10_000, lastUpdated + 10_000)).toBe(true);
      expect(awareness.meta.get(own)!.clock).toBe(clock + 1);
      expect(awareness.getLocalState()).toEqual({ user: "ada" });
      expect(updates).toEqual([{ added: [], updated: [own], removed: [] }]);
      // No presence (cleared on pagehide, or by the app): nothing to renew, and it stays cleared.
      awareness.setLocalState(null);
      expect(renewPresenceIfDue(awareness, 10_000, Date.now() + 60_000)).toBe(false);
      expect(awareness.getLocalState()).toBeNull();
    } finally {
      awareness.destroy();
    }
  });
});
