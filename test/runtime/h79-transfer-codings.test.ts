/**
 * `Transfer-Encoding: gzip, chunked`: Node's parser undoes the chunking only and hands on the gzip bytes as the body,
 * so a handler read compressed bytes as if they were the body (the document API answered 400 "not a Yjs update"; a
 * party's onRequest got garbage). Now such a request is answered 501 before any handler; chunked alone is read.
 */
import { connect } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

class Echo implements Party.Server {
  constructor(readonly room: Party.Room) {}
  async onRequest(request: Party.Request) {
    return new Response(await request.text());
  }
}

/** One request on a raw socket, its body in one chunk; resolves with the answer's status line and body. */
function chunkedPost(port: number, transferEncoding: string, body: Buffer): Promise<{ status: string; body: string }> {
  return waitFor(
    new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1");
      let answer = "";
      socket.on("data", (data) => (answer += data.toString("latin1")));
      socket.on("error", reject);
      socket.on("close", () => resolve({ status: answer.split("\r\n")[0]!, body: answer.slice(answer.indexOf("\r\n\r\n") + 4) }));
      const head = `POST /parties/main/r HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: ${transferEncoding}\r\nConnection: close\r\n\r\n`;
      socket.end(Buffer.concat([Buffer.from(head), Buffer.from(`${body.byteLength.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\n\r\n")]));
    }),
    "the answer on the raw socket",
  );
}

describe("transfer codings of a request body", () => {
  it("answers 501 to one Node cannot decode, and reads chunked (with identity) as it is", async () => {
    const { server } = await startServer({ main: Echo }, { storage: "memory" });
    const refused = await chunkedPost(server.port, "gzip, chunked", gzipSync("hello"));
    expect(refused.status).toBe("HTTP/1.1 501 Not Implemented");
    expect(refused.body).toContain('"code":"ERR_NOT_IMPLEMENTED"');
    for (const coding of ["chunked", "identity, chunked", "Chunked"]) {
      const read = await chunkedPost(server.port, coding, Buffer.from("hello"));
      expect({ coding, status: read.status, body: read.body }).toEqual({ coding, status: "HTTP/1.1 200 OK", body: expect.stringContaining("hello") });
    }
  });
});
