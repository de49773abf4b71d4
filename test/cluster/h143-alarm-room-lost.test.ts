/**
 * An onAlarm cut off because its node lost the room (h143): a partitioned from Redis while its onAlarm runs, its lease
 * runs out and b takes the room. a's handler then fails (its room stopped), and a's end of the firing is refused by the
 * room's fence. Before, a logged that refusal as an error (`alarm.settle_failed`, ERR_FENCED: an operator paged for a
 * partition) and kept a timer of its own for a room it no longer serves. Now a leaves the alarm, as it was stored, to
 * the room's owner (`alarm.left_to_owner`, info), and b runs it, no retry counted. (A failure of the moment on a node
 * that may still write the record, `alarm.deferred`, stores it back unchanged: runtime/h143-alarm-deferred.)
 */
import { expect, test, vi } from "vitest";
import { startCluster, until, useCluster, type ClusterNode } from "./cluster.js";

useCluster();
vi.setConfig({ testTimeout: 120_000 });

const alarmLines = (node: ClusterNode) =>
  node.output
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"event":"alarm.'))
    .map((line) => JSON.parse(line) as { level: string; event: string; code?: string });

test("an onAlarm that fails because its node lost the room (a partition) is run by the room's new owner, no retry counted, and its node logs no error", async () => {
  const cluster = await startCluster(2);
  const [a, b] = cluster.nodes as [ClusterNode, ClusterNode];
  const room = "counter/h143-alarm-room-lost";
  const state = async (node: ClusterNode) =>
    (await (await fetch(`${node.url}/parties/${room}`)).json().catch(() => ({}))) as { alarms?: number; alarmPids?: number[]; pid?: number };
  const post = (node: ClusterNode, body: object) =>
    fetch(`${node.url}/parties/${room}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  expect((await state(a)).pid).toBe(a.pid);
  expect((await post(a, { alarmHoldMs: 3000, alarmInMs: 200 })).status).toBe(200);
  await until(() => a.output.includes(`alarm holding ${a.pid}`), "a's onAlarm to start");
  a.redisLink.partition();
  await until(async () => (await state(b)).pid === b.pid, "b to serve the room once a's lease ran out", 30_000);
  await until(async () => (await state(b)).alarms === 1, "b to run the alarm", 30_000);
  // a's handler ends (its writes refused) and a ends its firing.
  await until(() => alarmLines(a).some((line) => line.event !== "alarm.restore_failed"), "a to end its firing", 30_000);
  a.redisLink.heal();

  expect(alarmLines(a).filter((line) => line.event === "alarm.left_to_owner")).toEqual([expect.objectContaining({ level: "info" })]);
  // No error: a try of a's alarm timer while it was cut off (its claim refused, Redis out of reach) is a warning, as is
  // every failure of the moment (in a full CI run it came once, as alarm.start_failed at error).
  expect(alarmLines(a).filter((line) => line.level === "error" && line.event !== "alarm.restore_failed")).toEqual([]);
  expect(alarmLines(b).filter((line) => line.level !== "info" && line.event !== "alarm.restore_failed")).toEqual([]);
  expect((await state(b)).alarmPids).toEqual([b.pid]);
});
