/**
 * A renewal written at once (redis.ts writtenNow, h138) while something else in the process also calls `setImmediate`
 * during the send (h143): here a tracer subscribed to @redis/client's `node-redis:command` tracing channel (as an APM
 * agent may), which schedules work when a command starts. writtenNow took the first `setImmediate` of the send for the
 * client's write: it ran the tracer's callback there and then, inside the send (before the end of the turn it was
 * scheduled for), and the client's write waited for the end of the turn, as before h138 (a long turn then made the node
 * lose its leases again). Now only the client's own write is taken; other callbacks run when they asked to.
 */
import { tracingChannel } from "node:diagnostics_channel";
import { afterEach, expect, test } from "vitest";
import { startRedis } from "../helpers/engines.js";
import { redisLink, stopLeaseNodes } from "./lease-nodes.js";

afterEach(stopLeaseNodes);

const TURN_MS = 300;

test("with a tracer scheduling work as each command starts, a command sent through writeNow is written during the turn, and the tracer's work runs after it", async () => {
  const redis = await startRedis();
  const link = await redisLink(redis.url, 1_000);
  let inTurn = false;
  const tracerRan: boolean[] = [];
  const channel = tracingChannel("node-redis:command");
  const handlers = { start: () => void setImmediate(() => tracerRan.push(inTurn)), end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  channel.subscribe(handlers);
  try {
    inTurn = true;
    const sentAt = Date.now();
    const answer = link.writeNow(() => link.send<[string, string]>(["TIME"]));
    // The rest of a long turn.
    while (Date.now() < sentAt + TURN_MS);
    const turnEndedAt = Date.now();
    inTurn = false;
    const [seconds, micros] = await answer;
    const ranAt = Number(seconds) * 1000 + Number(micros) / 1000;
    // Redis ran it during the turn (same clock: a Redis on this machine).
    expect(ranAt).toBeLessThan(turnEndedAt - TURN_MS / 2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(tracerRan).toEqual([false]);
  } finally {
    channel.unsubscribe(handlers);
  }
});
