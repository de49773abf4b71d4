/**
 * Wake-up calls (docs/protocol.md) through a cluster: a connection to a node that does not own the room is relayed to
 * the owner, bytes unparsed (src/cluster/forward.ts), so the call reaches the owner's Yjs room and its answer comes
 * back through the relay, to the caller only; a call left waiting by a relayed connection that closes is dropped with
 * it, and the room goes on answering others.
 */
import { expect, test, vi } from "vitest";
import { WAKE_FRAME, encodeWakeCall } from "../../src/protocol/index.js";
import { connect, type Frame, type TestClient } from "../helpers/server.js";
import { startCluster, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 90_000 });

const isWake = (frame: Frame) => typeof frame !== "string" && frame.length === WAKE_FRAME.length && frame.every((byte, i) => byte === WAKE_FRAME[i]);

async function wakeFrame(client: TestClient): Promise<void> {
  for (let index = 0; !client.messages.some(isWake); index++) await client.nth(index, 10_000);
}

test("a relayed connection's call is answered by the owner, through the relay, to it alone", async () => {
  const cluster = await startCluster(2);
  const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  const first = connect(`ws://${a.host}/parties/main/wake-relayed`);
  await first.opened;
  await first.nth(0, 10_000); // greeted: the room is loaded, owned by a node
  const owner = cluster.node(await cluster.owner("main/wake-relayed"));
  const other = owner === a ? b : a;
  const relayed = connect(`ws://${other.host}/parties/main/wake-relayed`);
  const local = connect(`ws://${owner.host}/parties/main/wake-relayed`);
  const leaving = connect(`ws://${other.host}/parties/main/wake-relayed`);
  await Promise.all([relayed.opened, local.opened, leaving.opened]);
  await Promise.all([relayed.nth(0, 10_000), local.nth(0, 10_000), leaving.nth(0, 10_000)]);

  leaving.send(encodeWakeCall(1_000));
  await leaving.close();
  const asked = Date.now();
  relayed.send(encodeWakeCall(1_000));
  relayed.send(encodeWakeCall(1_000)); // while one waits: ignored
  local.send(encodeWakeCall(1_500));
  await Promise.all([wakeFrame(relayed), wakeFrame(local)]);
  expect(Date.now() - asked).toBeGreaterThanOrEqual(1_000 - 5);
  expect(relayed.messages.filter(isWake)).toHaveLength(1);
  expect(local.messages.filter(isWake)).toHaveLength(1);
  expect(first.messages.filter(isWake)).toHaveLength(0);
  expect(owner.output).not.toMatch(/"level":"error"/);
});
