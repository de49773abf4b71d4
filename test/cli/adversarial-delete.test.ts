/**
 * Adversarial (helper adv46): the admin DELETE (`DELETE /_yparty/rooms/{party}/{room}`, `yparty delete`) against a
 * real `yparty start`, with kill -9 and restarts. Held up: `existed` (written, deleted twice, never written, two
 * deletes at once), deletes raced by POSTs to other rooms, a room written afresh after its delete, a delete right
 * after a load that compacts the room in the background, and deletes cut by a SIGTERM (those answered 200 stay done
 * after a restart, the others leave the room whole); nothing deleted comes back after kill -9 and doctor is clean.
 */
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { deferredCleanups, runCli, startIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

function update(text: string): Uint8Array<ArrayBuffer> {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return new Uint8Array(Y.encodeStateAsUpdate(doc));
}

const post = (url: string, body: Uint8Array<ArrayBuffer>) => fetch(url, { method: "POST", body, headers: { "content-type": "application/octet-stream" } });

async function del(url: string, token: string, room: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/_yparty/rooms/main/${room}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json() };
}

async function get(url: string, room: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/parties/main/${room}`);
  return { status: response.status, body: await response.json() };
}

describe("admin DELETE", () => {
  it("existed, concurrent deletes, and after kill -9 nothing deleted comes back and what was written after stays", async () => {
    const { dir, remove } = await tempDir("yparty-adv46-delete-");
    defer(remove);
    const first = await startIn(dir, defer);
    const { url, token } = first;
    expect((await post(`${url}/parties/main/a`, update("A"))).status).toBe(200);
    expect(await del(url, token, "a")).toEqual({ status: 200, body: { deleted: "main/a", existed: true } });
    expect(await del(url, token, "a")).toEqual({ status: 200, body: { deleted: "main/a", existed: false } });
    expect(await del(url, token, "never")).toEqual({ status: 200, body: { deleted: "main/never", existed: false } });
    // Two at once, on a loaded room.
    expect((await post(`${url}/parties/main/b`, update("B"))).status).toBe(200);
    const both = await Promise.all([del(url, token, "b"), del(url, token, "b")]);
    expect(both.map((d) => d.status)).toEqual([200, 200]);
    expect(both.map((d) => (d.body as { existed: boolean }).existed).sort()).toEqual([false, true]);
    // Deleted, then written afresh.
    expect((await post(`${url}/parties/main/c`, update("OLD"))).status).toBe(200);
    expect((await del(url, token, "c")).status).toBe(200);
    expect((await post(`${url}/parties/main/c`, update("NEW"))).status).toBe(200);
    const c = await get(url, "c");
    expect(c).toEqual({ status: 200, body: { t: "NEW" } });
    // Many deleted at once with writes to others.
    const many = Array.from({ length: 10 }, (_, i) => `m-${i}`);
    for (const room of many) expect((await post(`${url}/parties/main/${room}`, update(room))).status).toBe(200);
    await Promise.all(many.map((room, i) => (i % 2 === 0 ? del(url, token, room) : post(`${url}/parties/main/${room}`, update(`${room}+`)))));
    const before: Record<string, unknown> = {};
    for (const room of ["a", "b", "c", "never", ...many]) before[room] = await get(url, room);
    await first.cli.stop("SIGKILL");
    const second = await startIn(dir, defer);
    const after: Record<string, unknown> = {};
    for (const room of Object.keys(before)) after[room] = await get(second.url, room);
    expect(after).toEqual(before);
    await second.cli.stop("SIGTERM");
    const doctor = await runCli(["doctor", "--persist", path.join(dir, ".yparty")], { cwd: dir });
    expect({ code: doctor.code, out: doctor.stdout + doctor.stderr }).toMatchObject({ code: 0 });
  });
});

describe("admin DELETE with a compaction in flight, and a shutdown during deletes", () => {
  it("a room deleted right after a load that compacts it stays deleted after kill -9", async () => {
    const { dir, remove } = await tempDir("yparty-adv46-compact-");
    defer(remove);
    const first = await startIn(dir, defer);
    const rooms = ["long-0", "long-1"];
    for (const room of rooms) {
      const doc = new Y.Doc();
      const updates: Uint8Array<ArrayBuffer>[] = [];
      doc.on("update", (u: Uint8Array) => updates.push(new Uint8Array(u)));
      for (let i = 0; i < 520; i++) doc.getText("t").insert(0, "x");
      for (let i = 0; i < updates.length; i += 50) {
        // 50 updates per POST would merge into one entry: POST them one by one, in parallel batches.
        await Promise.all(updates.slice(i, i + 50).map((u) => post(`${first.url}/parties/main/${room}`, u)));
      }
    }
    await first.cli.stop("SIGTERM");
    const second = await startIn(dir, defer);
    const deleted: Record<string, unknown> = {};
    await Promise.all(
      rooms.map(async (room) => {
        expect((await get(second.url, room)).status).toBe(200); // loads 520 entries: a compaction in the background
        deleted[room] = await del(second.url, second.token, room);
      }),
    );
    for (const room of rooms) expect(deleted[room]).toEqual({ status: 200, body: { deleted: `main/${room}`, existed: true } });
    await second.cli.stop("SIGKILL");
    const third = await startIn(dir, defer);
    for (const room of rooms) expect((await get(third.url, room)).status, room).toBe(404);
  });

  it("deletes answered before a SIGTERM stay done; the others leave the room whole", async () => {
    const { dir, remove } = await tempDir("yparty-adv46-term-");
    defer(remove);
    const first = await startIn(dir, defer);
    const rooms = Array.from({ length: 30 }, (_, i) => `r-${i}`);
    for (const room of rooms) expect((await post(`${first.url}/parties/main/${room}`, update(room.repeat(2000)))).status).toBe(200);
    const outcomes: Record<string, number | string> = {};
    const deletes = rooms.map((room) =>
      del(first.url, first.token, room).then(
        (d) => (outcomes[room] = d.status),
        (error: Error) => (outcomes[room] = error.message),
      ),
    );
    await Promise.race(deletes);
    const stopped = first.cli.stop("SIGTERM");
    await Promise.all(deletes);
    expect(await stopped).toBe(0);
    const second = await startIn(dir, defer);
    const wrong: unknown[] = [];
    for (const room of rooms) {
      const served = await get(second.url, room);
      if (outcomes[room] === 200 ? served.status !== 404 : served.status !== 404 && JSON.stringify(served.body) !== JSON.stringify({ t: room.repeat(2000) }))
        wrong.push({ room, delete: outcomes[room], served: served.status });
    }
    expect(wrong).toEqual([]);
  });
});
