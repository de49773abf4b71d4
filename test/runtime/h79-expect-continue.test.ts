/**
 * `Expect: 100-continue` (curl sends it for bodies over 1 MiB): the client waits for `100 Continue` before it sends
 * its body. Node sent the 100 itself before any handler ran, so a POST the server was going to refuse unread (over
 * maxHttpUpdateBytes by its Content-Length, refused by onBeforeRequest, a wrong Content-Type) was uploaded whole
 * first. Now the 100 goes out when a handler starts reading the body, and a refusal comes without it.
 */
import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty } from "../../src/yjs/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

class Guarded extends DocumentParty {
  static onBeforeRequest(req: Party.Request) {
    return req.headers.get("authorization") === "Bearer ok" ? req : new Response("Unauthorized", { status: 401 });
  }
}

const update = (() => {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, "continued");
  return Buffer.from(Y.encodeStateAsUpdate(doc));
})();

/** A POST with `Expect: 100-continue` by Node's http client: the body goes only on `continue`. */
function expectingPost(url: string, body: Buffer, headers: Record<string, string> = {}) {
  return waitFor(
    new Promise<{ status: number; continued: boolean; body: string }>((resolve, reject) => {
      let continued = false;
      const req = request(url, {
        method: "POST",
        headers: { "content-type": "application/octet-stream", "content-length": String(body.byteLength), expect: "100-continue", ...headers },
      });
      req.on("continue", () => {
        continued = true;
        req.end(body);
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => {
          req.destroy(); // a refused body is never sent: the connection is done
          resolve({ status: res.statusCode ?? 0, continued, body: text });
        });
      });
      req.on("error", reject);
      req.flushHeaders();
    }),
    "the answer to a POST expecting 100-continue",
  );
}

describe("Expect: 100-continue", () => {
  it("refusals come without 100 Continue, so the body is never sent; a POST the API reads gets it and is applied", async () => {
    const { url } = await startServer({ main: DocumentParty, guarded: Guarded }, { storage: "memory", documentLimits: { maxHttpUpdateBytes: 1024 } });
    const big = Buffer.alloc(64 * 1024, 1);
    expect(await expectingPost(`${url}/parties/main/r`, big)).toMatchObject({ status: 413, continued: false });
    expect(await expectingPost(`${url}/parties/guarded/r`, update)).toMatchObject({ status: 401, continued: false });
    expect(await expectingPost(`${url}/parties/main/r`, update, { "content-type": "text/plain" })).toMatchObject({ status: 415, continued: false });
    expect(await expectingPost(`${url}/parties/main/r`, update)).toMatchObject({ status: 200, continued: true });
    expect(await expectingPost(`${url}/parties/guarded/r`, update, { authorization: "Bearer ok" })).toMatchObject({ status: 200, continued: true });
    expect(await (await fetch(`${url}/parties/main/r`)).json()).toEqual({ t: "continued" });
  });

  it("curl uploading a file over the limit sends none of it and prints the 413", async () => {
    const { url } = await startServer({ main: DocumentParty }, { storage: "memory", documentLimits: { maxHttpUpdateBytes: 1024 } });
    const file = join(tmpdir(), `yparty-h79-${process.pid}-${Date.now()}.bin`);
    await writeFile(file, Buffer.alloc(4 * 1024 * 1024, 1)); // over 1 MiB: curl asks 100-continue by itself
    const { stdout } = await promisify(execFile)("curl", [
      "-sS",
      "-H",
      "content-type: application/octet-stream",
      "--data-binary",
      `@${file}`,
      "-w",
      "\\n%{http_code} %{size_upload}",
      `${url}/parties/main/big`,
    ]).finally(() => rm(file, { force: true }));
    const [body, summary] = stdout.split("\n");
    expect({ summary, body: JSON.parse(body!) }).toEqual({ summary: "413 0", body: { error: { code: "ERR_BODY_TOO_BIG", message: expect.any(String) } } });
  });
});
