/**
 * HTTP/1.1 pipelining (curl, proxies, undici's `pipelining`): a client writes a POST of a Yjs update to a new room and
 * a GET of that room on one keep-alive socket at once. Node hands the GET to the server while the POST is still being
 * answered, so the GET looked for a room the POST had not created yet: 404 ERR_ROOM_NOT_FOUND for a room the same
 * client had just written. A socket's requests are now handled one after the other, as if the client had waited for
 * each answer: the GET sees the POST's change. Tested on `yparty start` with no entry (the built-in Yjs party).
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { waitFor } from "../helpers/server.js";
import { deferredCleanups, projectWith, serveIn } from "./helpers.js";

const defer = deferredCleanups(afterEach);

/** Writes `requests` in one write on one socket; resolves with everything the server sent until it closed the socket. */
async function pipelined(url: string, requests: Buffer[]): Promise<string> {
  const socket = net.connect(Number(new URL(url).port), "127.0.0.1");
  defer(() => socket.destroy());
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => (received += chunk));
  const ended = new Promise<void>((resolve, reject) => {
    socket.once("close", () => resolve());
    socket.once("error", reject);
  });
  socket.write(Buffer.concat(requests));
  await waitFor(ended, "the server to answer every request and close the socket", 10_000);
  return received;
}

const statuses = (received: string) => [...received.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((match) => Number(match[1]));

function post(path: string, body: Uint8Array): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.byteLength}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), body]);
}
const get = (path: string, last = false) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${last ? "Connection: close\r\n" : ""}\r\n`, "latin1");

function update(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText("text").insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

describe("pipelined requests", () => {
  it("a GET pipelined behind the POST that creates the room sees the room and its change", async () => {
    const dir = await projectWith(defer, {});
    const { url } = await serveIn(defer, "start", dir);
    const received = await pipelined(url, [post("/parties/main/fresh", update("hello")), get("/parties/main/fresh", true)]);
    expect(statuses(received)).toEqual([200, 200]);
    expect(received).toContain('{"text":"hello"}');
  });

  it("several writes and reads on one socket are answered in order, each seeing the writes before it", async () => {
    const dir = await projectWith(defer, {});
    const { url } = await serveIn(defer, "start", dir);
    const received = await pipelined(url, [
      get("/parties/main/later"),
      post("/parties/main/later", update("one")),
      get("/parties/main/later"),
      post("/parties/main/later", update("two")),
      get("/parties/main/later?format=state-vector", true),
    ]);
    expect(statuses(received)).toEqual([404, 200, 200, 200, 200]);
    expect(received).toContain('{"text":"one"}');
  });
});
