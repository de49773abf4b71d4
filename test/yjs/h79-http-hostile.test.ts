/**
 * The document HTTP API against requests clients send without thinking: compressed bodies, a base64 state vector
 * pasted into the query unescaped.
 */
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

const update = (() => {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, "hello");
  return Buffer.from(Y.encodeStateAsUpdate(doc));
})();
const post = (url: string, body: Uint8Array, encoding: string) =>
  fetch(url, { method: "POST", body: body as Uint8Array<ArrayBuffer>, headers: { "content-type": "application/octet-stream", "content-encoding": encoding } });

describe("a compressed POST", () => {
  it("is refused with 415 naming the encoding, whether its bytes would decode or not; identity is taken", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory" });
    const cases = [
      // gzip bytes read as they came looked like a broken update (400 ERR_INVALID_UPDATE)...
      ["gzip", gzipSync(update)],
      // ...and an update sent as is but labelled br was taken, as if the label meant nothing.
      ["br", update],
      ["Deflate ", update],
    ] as const;
    for (const [encoding, body] of cases) {
      const res = await post(`${url}/parties/main/packed`, body, encoding);
      expect({ encoding, status: res.status, body: await res.json() }).toEqual({
        encoding,
        status: 415,
        body: { error: { code: "ERR_UNSUPPORTED_MEDIA_TYPE", message: expect.stringContaining("uncompressed") } },
      });
    }
    expect((await fetch(`${url}/parties/main/packed`)).status).toBe(404);
    expect((await post(`${url}/parties/main/packed`, update, "identity")).status).toBe(200);
    expect(await (await fetch(`${url}/parties/main/packed`)).json()).toEqual({ t: "hello" });
  });
});

describe("a state vector pasted into ?since= unescaped", () => {
  it("is read as the base64 it is: its '+' arrive as spaces", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory" });
    // A client whose state vector's base64 holds a "+": the diff since it is what the room has beyond it.
    const base = new Y.Doc();
    base.clientID = 16_399; // its varint bytes 0x8f 0x80 put a "+" in the base64
    base.getText("t").insert(0, "hello");
    const since = Buffer.from(Y.encodeStateVector(base)).toString("base64");
    expect(since).toContain("+");
    expect((await post(`${url}/parties/main/diff`, Buffer.from(Y.encodeStateAsUpdate(base)), "identity")).status).toBe(200);
    const res = await fetch(`${url}/parties/main/diff?since=${since}`); // not encodeURIComponent'd, as from a shell
    expect(res.status).toBe(200);
    const diff = new Uint8Array(await res.arrayBuffer());
    expect(Y.decodeUpdate(diff).structs).toEqual([]); // the client has everything
  });
});
