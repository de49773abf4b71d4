/**
 * The admin API answers HEAD as GET without the body (RFC 9110 §9.3.2), as the runtime's own listing does: before,
 * `HEAD /_yparty/rooms` with the right token was a 404 "No admin route". A route asked with a method it does not
 * take is a 405 naming the methods it takes (Allow), not a 404.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { deferredCleanups, startIn, tempDir } from "./helpers.js";

const defer = deferredCleanups(afterEach);

async function started() {
  const { dir, remove } = await tempDir("yparty-h83-head-");
  defer(remove);
  const { url, token } = await startIn(dir, defer);
  // Bounded: a HEAD whose answer waited on a body stream that never ends (the log stream) hung.
  const ask = (path: string, method = "GET") =>
    fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
  return { url, ask };
}

/** What a client sees of an answer: status, its type and length, and the bytes of its body. */
async function seen(response: Response) {
  return { status: response.status, type: response.headers.get("content-type"), body: (await response.arrayBuffer()).byteLength };
}

describe("admin API: HEAD and wrong methods", () => {
  it("answers HEAD of rooms, export and logs as GET with no body", async () => {
    const { url, ask } = await started();
    const doc = new Y.Doc();
    doc.getText("t").insert(0, "stored");
    const posted = await fetch(`${url}/parties/main/doc-1`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: Buffer.from(Y.encodeStateAsUpdate(doc)),
    });
    expect(posted.status).toBe(200);
    const paths = [
      "/_yparty/rooms",
      "/_yparty/rooms/main/doc-1/export",
      "/_yparty/rooms/main/doc-1/export?format=binary",
      "/_yparty/rooms/main/missing/export",
    ];
    for (const path of paths) {
      const get = await seen(await ask(path));
      const head = await seen(await ask(path, "HEAD"));
      expect({ path, ...head }).toEqual({ path, ...get, body: 0 });
    }
    const logs = await ask("/_yparty/logs", "HEAD");
    expect(await seen(logs)).toEqual({ status: 200, type: "text/event-stream", body: 0 });
  });

  it("answers a route's wrong method with 405 and Allow", async () => {
    const { ask } = await started();
    for (const [path, method, allow] of [
      ["/_yparty/rooms", "POST", "GET, HEAD"],
      ["/_yparty/logs", "DELETE", "GET, HEAD"],
      ["/_yparty/rooms/main/r/export", "PUT", "GET, HEAD"],
      ["/_yparty/rooms/main/r", "GET", "DELETE"],
    ] as const) {
      const response = await ask(path, method);
      await response.arrayBuffer();
      expect({ path, method, status: response.status, allow: response.headers.get("allow") }).toEqual({ path, method, status: 405, allow });
    }
    expect((await ask("/_yparty/nothing", "HEAD")).status).toBe(404);
  });
});
