/**
 * A resumed session gets "the kept patches after its ack" (`~resume` → room-party.ts `#catchUp`). But `#catchUp`
 * first flushes the state a hook changed in this event-loop turn, and that flush sends the new patch to every member,
 * the resumed one included, before the catch-up patches: the client gets seq N+k, then N+1 … N+k again. A client
 * checking seq (the typed client's StateMirror) sees a gap at the first patch and throws its state away for a resync.
 * It happens whenever a hook (a tick, another player's input) ran in the same turn as the handshake's verification
 * finished; here the verifier is made to finish right behind another player's input to make that turn certain.
 */
import { afterEach, describe, expect, it } from "vitest";
import { defineRoomType } from "../../src/rooms/index.js";
import { cleanupAll, deferred, waitFor } from "../helpers/server.js";
import { Mirror, type RawClient, rawClient, startRooms } from "./helpers.js";

afterEach(cleanupAll);

let inputSeen: (() => void) | undefined;
const tally = defineRoomType<{ count: number }>({
  onCreate() {
    this.state = { count: 0 };
  },
  onInput({ type }) {
    if (type !== "inc") return;
    this.state.count++;
    inputSeen?.();
  },
});

async function join(client: RawClient, token: string): Promise<{ mirror: Mirror; sessionId: string }> {
  const ok = await client.handshake({ token });
  await client.request("room.join_or_create", { room_type: "tally", room: "t" });
  const mirror = new Mirror();
  mirror.apply(await client.expect("state.snapshot"));
  return { mirror, sessionId: ok.session_id };
}

describe("rooms: catching up a resumed session", () => {
  it("sends the missed patches in seq order, each once, even when a patch is due in the same turn", async () => {
    let gate: (() => Promise<void>) | undefined;
    const server = await startRooms(
      { tally },
      {
        verifyToken: async (token) => {
          if (gate) await gate();
          return token.slice(4);
        },
      },
    );
    const aliceClient = rawClient(server);
    const alice = await join(aliceClient, "dev:alice");
    const bobClient = rawClient(server);
    const bob = await join(bobClient, "dev:bob");
    while (alice.mirror.seq < bob.mirror.seq) alice.mirror.apply(await aliceClient.expect("state.patch"));
    aliceClient.send("state.ack", { room: "t", seq: alice.mirror.seq });
    aliceClient.client.ws.terminate();
    await aliceClient.client.closed;
    for (let i = 0; i < 3; i++) {
      bobClient.send("room.message", { room: "t", type: "inc", data: null });
      bob.mirror.apply(await bobClient.expect("state.patch"));
    }

    // alice comes back; her verification ends in the same turn as bob's next input.
    const verifying = deferred();
    const released = deferred();
    gate = () => {
      verifying.resolve();
      return released.promise;
    };
    inputSeen = () => {
      inputSeen = undefined;
      released.resolve();
    };
    const back = rawClient(server);
    const resumed = back.handshake({ token: "dev:alice", session_id: alice.sessionId });
    await waitFor(verifying.promise, "alice's handshake at the verifier");
    bobClient.send("room.message", { room: "t", type: "inc", data: null });
    expect(await resumed).toMatchObject({ resumed: true });
    bob.mirror.apply(await bobClient.expect("state.patch"));

    const expected = Array.from({ length: bob.mirror.seq - alice.mirror.seq }, (_, i) => alice.mirror.seq + 1 + i);
    const seqs: number[] = [];
    const caughtUp = (async () => {
      while (!expected.every((seq) => seqs.includes(seq))) seqs.push((await back.expect("state.patch")).p.seq as number);
    })();
    await waitFor(caughtUp, "alice to get every patch she missed");
    // Anything more that came with them (a duplicate) is in received too.
    const all = back.received.filter((envelope) => envelope.t === "state.patch").map((envelope) => envelope.p.seq as number);
    expect(all, "the seqs of the patches the resumed client got, in order").toEqual(expected);
    for (const seq of all) alice.mirror.apply(back.received.find((envelope) => envelope.t === "state.patch" && envelope.p.seq === seq)!);
    expect(alice.mirror.state).toEqual(bob.mirror.state);
  });
});
