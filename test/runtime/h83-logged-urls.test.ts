/**
 * Credentials in a request's query (partysocket's `query`, y-partykit's `params`: `?token=…`) never reach the
 * server's log: every log line carrying the request URL shows those values as `[redacted]`, the rest as sent.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, serveIn } from "../cli/helpers.js";
import { cleanupAll, startServer } from "../helpers/server.js";

afterEach(cleanupAll);
const defer = deferredCleanups(afterEach);

const SECRETS = ["tok-1a", "auth-2b", "key-3c", "pw-4d", "sec-5e", "at-6f", "enc-7g", "api-8h"];
const QUERY = `token=tok-1a&auth=auth-2b&key=key-3c&password=pw-4d&secret=sec-5e&access_token=at-6f&%74oken=enc-7g&apiKey=api-8h&name=visible`;
const REDACTED_QUERY =
  "token=[redacted]&auth=[redacted]&key=[redacted]&password=[redacted]&secret=[redacted]&access_token=[redacted]&%74oken=[redacted]&apiKey=[redacted]&name=visible";

describe("request URLs in logs", () => {
  it("yparty start logs a failing onRequest's URL with its credentials redacted", async () => {
    const dir = await projectWith(defer, {
      "yparty.json": JSON.stringify({ main: "server.ts" }),
      "server.ts": `export default class Server { constructor(room) { this.room = room; } onRequest() { throw new Error("boom"); } }`,
    });
    const { cli, url } = await serveIn(defer, "start", dir);
    const res = await fetch(`${url}/parties/main/r1?${QUERY}`);
    expect(res.status).toBe(500);
    await cli.waitFor(/room\.request_failed[^\n]*/);
    const line = cli.output.split("\n").find((text) => text.includes("room.request_failed"))!;
    expect(line).toContain(`/parties/main/r1?${REDACTED_QUERY}`);
    for (const secret of SECRETS) expect(cli.output).not.toContain(secret);
  });

  it("a URL inside a logged error's message and stack is redacted too", async () => {
    const dir = await projectWith(defer, {
      "yparty.json": JSON.stringify({ main: "server.ts" }),
      "server.ts": `export default class Server { constructor(room) { this.room = room; } onRequest(req) { throw new Error("could not reach " + req.url + " now"); } }`,
    });
    const { cli, url } = await serveIn(defer, "start", dir);
    expect((await fetch(`${url}/parties/main/r3?${QUERY}`)).status).toBe(500);
    await cli.waitFor(/room\.request_failed[^\n]*/);
    const line = cli.output.split("\n").find((text) => text.includes("room.request_failed"))!;
    expect(line).toContain(`could not reach ${url}/parties/main/r3?${REDACTED_QUERY} now`);
    for (const secret of SECRETS) expect(cli.output).not.toContain(secret);
  });

  it("a failing route's and a failing room request's URL are redacted in every log entry", async () => {
    const server = await startServer(
      {
        main: {
          onRequest() {
            throw new Error("boom");
          },
        },
      },
      {
        storage: "memory",
        routes: [
          (request) => {
            if (new URL(request.url).pathname === "/route") throw new Error("boom");
            return undefined;
          },
        ],
      },
    );
    expect((await fetch(`${server.url}/route?${QUERY}`)).status).toBe(500);
    expect((await fetch(`${server.url}/parties/main/r2?${QUERY}`)).status).toBe(500);
    expect((await server.logged("route.failed")).url).toBe(`${server.url}/route?${REDACTED_QUERY}`);
    expect((await server.logged("room.request_failed")).url).toBe(`${server.url}/parties/main/r2?${REDACTED_QUERY}`);
    const all = JSON.stringify(server.logs);
    for (const secret of SECRETS) expect(all).not.toContain(secret);
  });
});
