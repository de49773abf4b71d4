/**
 * The admin API's refusals, from the outside: every route and method without the token, or with a wrong one, is a
 * 401 that names the scheme (WWW-Authenticate) and serves nothing of the token; the token works only as a Bearer
 * header, never in the query.
 */
import { afterEach, describe, expect, it } from "vitest";
import { adminHandler } from "../../src/cli/admin/handler.js";
import { DocumentParty, docToJson } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import * as Y from "yjs";

afterEach(cleanupAll);

const TOKEN = "h79-admin-token-0123456789abcdef";

async function start() {
  const admin = adminHandler({
    token: TOKEN,
    updateToJson: (update) => {
      const doc = new Y.Doc();
      Y.applyUpdate(doc, update);
      return docToJson(doc);
    },
  });
  const server = await startServer({ main: DocumentParty }, { storage: "memory", routes: [admin.route] });
  return { ...server, close: admin.close };
}

describe("admin API refusals", () => {
  it("answers 401 with WWW-Authenticate to every route and method without the right Bearer token", async () => {
    const { url, close } = await start();
    const paths = ["/_yparty/rooms", "/_yparty/logs", "/_yparty/rooms/main/r/export", "/_yparty/rooms/main/r", "/_yparty/", "/_yparty/nothing"];
    const credentials: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString("base64")}` },
      { authorization: TOKEN },
    ];
    for (const path of paths) {
      for (const method of ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]) {
        for (const headers of credentials) {
          const res = await fetch(`${url}${path}?token=${TOKEN}`, { method, headers });
          const body = await res.text();
          expect({ path, method, headers, status: res.status, scheme: res.headers.get("www-authenticate") }).toEqual({
            path,
            method,
            headers,
            status: 401,
            scheme: 'Bearer realm="yparty admin"',
          });
          expect(body + JSON.stringify([...res.headers])).not.toContain(TOKEN);
        }
      }
    }
    const ok = await fetch(`${url}/_yparty/rooms`, { headers: { authorization: `bearer ${TOKEN}` } });
    expect({ status: ok.status, body: await ok.json() }).toEqual({ status: 200, body: { rooms: [] } });
    close();
  });
});
