/**
 * A real `yparty start --persist` killed (SIGKILL) under write load, again and again: each start after a kill replays a
 * log cut wherever the kill fell, and must say nothing alarming (no dropped, torn, skipped or lost writes: a kill
 * loses no written byte, only a write not yet made), and keep every update it acknowledged. Guards helper 140's log
 * judgement (batch numbers, zeroed headers) against a false alarm at every crash.
 */
import { expect, it } from "vitest";
import { damageWorkspace, postUpdate, roomAnswer, startServer } from "./damage-support.js";
import * as Y from "yjs";

const { running, tempDir } = damageWorkspace();
const ROOMS = ["a", "b", "c"];
const KILLS = 4;

/** POSTs updates to `room` until the server stops answering; `acked` counts the ones answered 200, told to `onAck`. */
async function writeUntilKilled(url: string, room: string, first: number, acked: Map<string, number>, onAck: () => void): Promise<void> {
  const doc = new Y.Doc();
  for (let i = first; ; i++) {
    let update: Uint8Array | undefined;
    doc.once("update", (u: Uint8Array) => (update = u));
    doc.getMap("m").set(`k${i}`, `${i}:`.padEnd(3000, "x"));
    const status = await postUpdate(url, room, update!).then(
      (response) => response.status,
      () => 0,
    );
    if (status !== 200) return;
    acked.set(room, i + 1);
    onAck();
  }
}

it("starts after each kill under load without a warning, every acknowledged update there", async () => {
  const dir = await tempDir();
  const acked = new Map(ROOMS.map((room) => [room, 0]));
  for (let kill = 0; kill <= KILLS; kill++) {
    const { cli, url } = await startServer(dir, running);
    expect(cli.stderr, `start ${kill}`).toBe("");
    expect(cli.stdout, `start ${kill}`).not.toMatch(/warn|error|drop|torn|skipp|lost|damag/i);
    for (const room of ROOMS) expect((await roomAnswer(url, room)).keys ?? 0, `${room} after kill ${kill}`).toBeGreaterThanOrEqual(acked.get(room)!);
    if (kill === KILLS) break;
    // Killed once some 20 more of room a's updates were acknowledged: mid-stream, several of the log's blocks on.
    const target = acked.get("a")! + 20 + kill * 7;
    let reached!: () => void;
    const killTime = new Promise<void>((resolve) => (reached = resolve));
    const onAck = () => acked.get("a")! >= target && reached();
    const writers = ROOMS.map((room) => writeUntilKilled(url, room, acked.get(room)!, acked, onAck));
    await killTime;
    await cli.stop("SIGKILL");
    running.delete(cli);
    await Promise.all(writers);
  }
}, 120_000);
