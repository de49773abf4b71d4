/**
 * One room's data in a damaged LevelDB table (16 flipped bytes: its loads fail with 503 ERR_LOAD_FAILED, as
 * docs/yjs.md says) takes down the room listing of every room: `GET /parties/main` and the admin API's
 * `GET /_yparty/rooms` (what `yparty list` shows) answer 500 ERR_INTERNAL, though every other room loads and is
 * served. `listRooms` (src/runtime/listing.ts) awaits `storage.docs.stats(name)` for each stored name, and the
 * damaged room's read error escapes it.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { expect, it } from "vitest";
import { damageWorkspace, flipBytes, largestFile, postUpdates, roomAnswer, startServer, type RoomAnswer } from "./damage-support.js";

const ROOMS = ["d1", "d2", "d3", "d4"];
/** Places in the table to damage, tried in turn until one of them leaves exactly the kind of damage this test needs. */
const FRACTIONS = [0.2, 0.8, 0.3, 0.7, 0.4, 0.6];

const { running, tempDir } = damageWorkspace();

/** Rooms POSTed to, then moved into a LevelDB table by a clean restart; the server is stopped. */
async function roomsInATable(dir: string): Promise<void> {
  const first = await startServer(dir, running);
  await postUpdates(first.url, "intact", 20);
  await Promise.all(ROOMS.map((room) => postUpdates(first.url, room, 40)));
  await first.cli.stop("SIGKILL");
  const second = await startServer(dir, running); // LevelDB's open writes its log into a table
  await second.cli.stop("SIGTERM");
}

it("a room whose table block is damaged does not make the listing of every room answer 500", { timeout: 300_000 }, async () => {
  const pristine = await tempDir();
  await roomsInATable(pristine);
  for (const fraction of FRACTIONS) {
    const dir = await tempDir();
    await fs.cp(pristine, dir, { recursive: true });
    await flipBytes(await largestFile(dir, "ldb"), fraction);
    const server = await startServer(dir, running);
    const answers = new Map<string, RoomAnswer>();
    for (const room of ["intact", ...ROOMS]) answers.set(room, await roomAnswer(server.url, room));
    const unreadable = [...answers].filter(([, answer]) => answer.code === "ERR_LOAD_FAILED").map(([room]) => room);
    const served = [...answers].filter(([, answer]) => answer.status === 200).map(([room]) => room);
    if (unreadable.length === 0 || served.length === 0) {
      await server.cli.stop("SIGKILL");
      continue; // this damage did not leave one unreadable room among readable ones: try another place
    }
    // Every other room is served; the room list must be too (the damaged room may be marked, but not take all down).
    const listing = await fetch(`${server.url}/parties/main`);
    const listingBody = await listing.text();
    expect({ status: listing.status, body: listingBody }).toMatchObject({ status: 200 });
    const listed = (JSON.parse(listingBody) as { rooms: Array<{ id: string }> }).rooms.map((room) => room.id);
    for (const room of [...served, ...unreadable]) expect(listed).toContain(room); // the damaged one too, marked

    const { token } = JSON.parse(await fs.readFile(path.join(dir, "server.json"), "utf8")) as { token: string };
    const admin = await fetch(`${server.url}/_yparty/rooms`, { headers: { authorization: `Bearer ${token}` } });
    expect({ status: admin.status, body: await admin.text() }).toMatchObject({ status: 200 });
    return;
  }
  throw new Error(`no damage place in ${FRACTIONS} left one unreadable room among readable ones`);
});
