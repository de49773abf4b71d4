/**
 * What a hook throws decides its client's answer (hook-throw.ts: a body cut, a failure worth a retry found in the error
 * or its causes, else the code's fault). User code throws what it likes: a `cause` chain that loops (`e.cause = e`, as
 * some libraries build by mistake) hung the whole server in the walk of its causes (request-body.ts walked it without
 * end: no request of any room was answered again), and a `cause` or `code` getter that throws escaped the mapping. Each
 * now answers the generic 500, the server answers on, and a retryable 503 wrapped within a few causes is still found.
 */
import { afterEach, expect, test } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { RuntimeError } from "../../src/runtime/index.js";
import { cleanupAll, startServer, waitFor } from "../helpers/server.js";

afterEach(cleanupAll);

/** The error `onRequest` throws for `?kind=…`. */
function thrown(kind: string | null): unknown {
  switch (kind) {
    case "cycle": {
      const error = new Error("loops");
      error.cause = error;
      return error;
    }
    case "cycle-of-two": {
      const a = new Error("a");
      const b = new Error("b", { cause: a });
      a.cause = b;
      return a;
    }
    case "cause-getter-throws":
      return Object.defineProperty(new Error("bad cause"), "cause", {
        get() {
          throw new Error("no cause for you");
        },
      });
    case "code-getter-throws":
      return Object.defineProperty(new Error("bad code"), "code", {
        get() {
          throw new Error("no code for you");
        },
      });
    case "wrapped-retryable":
      return new Error("outer", { cause: new Error("middle", { cause: new RuntimeError("ERR_ROOM_UNAVAILABLE", "Cannot be served now; try again", 503) }) });
    default:
      return new Error("plain");
  }
}

class Thrower implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest(req: Party.Request): Response {
    throw thrown(new URL(req.url).searchParams.get("kind"));
  }
}

class Fine implements Party.Server {
  onRequest() {
    return new Response("fine");
  }
}

test.each(["cycle", "cycle-of-two", "cause-getter-throws", "code-getter-throws"])(
  "onRequest throwing an error whose causes are odd (%s): its client gets the generic 500, the server answers on",
  async (kind) => {
    const server = await startServer({ main: Thrower, fine: Fine }, { storage: "memory" });
    const response = await waitFor(fetch(`${server.url}/parties/main/r?kind=${kind}`), `the answer to a throw (${kind})`);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { code: "ERR_INTERNAL", message: "Internal server error" } });
    const after = await waitFor(fetch(`${server.url}/parties/fine/r`), "another room's answer");
    expect(await after.text()).toBe("fine");
  },
);

test("a retryable 503 two causes down is still found: 503 with its code, message and Retry-After", async () => {
  const server = await startServer({ main: Thrower }, { storage: "memory" });
  const response = await waitFor(fetch(`${server.url}/parties/main/r?kind=wrapped-retryable`), "the answer");
  expect(response.status).toBe(503);
  expect(response.headers.get("retry-after")).toBe("1");
  expect(await response.json()).toEqual({ error: { code: "ERR_ROOM_UNAVAILABLE", message: "Cannot be served now; try again" } });
});
