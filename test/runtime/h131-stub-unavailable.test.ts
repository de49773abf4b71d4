/**
 * A `context.parties` stub's fetch to a room that cannot be served now rejects with a retryable 503 RuntimeError (on a
 * cluster: the room's claim refused while Redis or PostgreSQL cannot be reached; the server shutting down). Staged here
 * with a placement (createServer's `placement`, as src/cluster's) that refuses one room's claim as the cluster does,
 * for every hook that may call a stub and not catch it (h131). Before: the hook's own client got a bare 500
 * ERR_INTERNAL, its socket a 1011 "Internal error", saying nothing of a retry; now it gets what a client of that room
 * gets (503 with the code, message and Retry-After; close 1013 with the message).
 */
import { afterEach, describe, expect, it } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { RuntimeError } from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer, waitFor } from "../helpers/server.js";
import { stagedPlacement } from "../helpers/staged-placement.js";

afterEach(cleanupAll);

const REFUSAL = "Redis cannot be reached to claim target/refused: Redis did not answer the claim within 898 ms; try again";

/** Every room is served here, but `target/refused`, whose claim is refused as a cluster refuses it in a partition. */
const placement = stagedPlacement({
  claim: async (party, roomId) => {
    if (party === "target" && roomId === "refused") throw new RuntimeError("ERR_ROOM_UNAVAILABLE", REFUSAL, 503);
    return undefined;
  },
});

class Target implements Party.Server {
  constructor(readonly room: Party.Room) {}
  onRequest() {
    return new Response("target");
  }
}

/** Asks `target/{?to}` through its stub in every hook, catching nothing. */
class Asker implements Party.Server {
  readonly options = { closeOnMessageError: true };
  constructor(readonly room: Party.Room) {}
  static async onFetch(req: Party.Request, lobby: Party.FetchLobby) {
    const url = new URL(req.url);
    const stub = lobby.parties.target!.get(url.searchParams.get("to") ?? "served");
    if (url.pathname !== "/caught") return stub.fetch("/");
    // What user code that catches it sees.
    return stub
      .fetch("/")
      .catch((error: RuntimeError) =>
        Response.json({ isRuntimeError: error instanceof RuntimeError, code: error.code, status: error.status, retryable: error.retryable }),
      );
  }
  async onRequest(req: Party.Request) {
    const to = new URL(req.url).searchParams.get("to") ?? "served";
    return this.room.context.parties.target!.get(to).fetch("/");
  }
  async onConnect(connection: Party.Connection, ctx: Party.ConnectionContext) {
    const to = new URL(ctx.request.url).searchParams.get("to");
    if (to) await this.room.context.parties.target!.get(to).fetch("/");
    connection.send("connected");
  }
  async onMessage(message: string) {
    await this.room.context.parties.target!.get(message).fetch("/");
  }
}

async function refusal(answer: Response) {
  return { status: answer.status, retryAfter: answer.headers.get("retry-after"), body: await answer.json() };
}

const EXPECTED = { status: 503, retryAfter: "1", body: { error: { code: "ERR_ROOM_UNAVAILABLE", message: REFUSAL } } };

describe("a stub fetch to a room that cannot be served now, uncaught", () => {
  it("in onRequest and onFetch: the client gets the 503 with its code, message and Retry-After, not 500; the stub's error is retryable", async () => {
    const server = await startServer({ main: Asker, target: Target }, { storage: "memory", placement });
    expect(await (await fetch(`${server.url}/parties/main/a?to=served`)).text()).toBe("target");
    expect(await refusal(await fetch(`${server.url}/parties/main/a?to=refused`))).toEqual(EXPECTED);
    expect(await refusal(await fetch(`${server.url}/somewhere?to=refused`))).toEqual(EXPECTED);
    expect((await server.logged("room.request_unavailable")).code).toBe("ERR_ROOM_UNAVAILABLE");
    expect(server.logs.filter((entry) => entry.level === "error")).toEqual([]);
    // What user code meets: a RuntimeError with its code, status 503 and `retryable`, as a Durable Object stub's.
    expect(await (await fetch(`${server.url}/caught?to=refused`)).json()).toEqual({
      isRuntimeError: true,
      code: "ERR_ROOM_UNAVAILABLE",
      status: 503,
      retryable: true,
    });
  });

  it("in onBeforeConnect, and in onFetch answering an upgrade: the socket is accepted and closed 1013 with the refusal, not refused HTTP 500 (a bare 1006 to a browser)", async () => {
    class Guarded extends Target {
      static async onBeforeConnect(req: Party.Request, lobby: Party.Lobby) {
        await lobby.parties.target!.get(new URL(req.url).searchParams.get("to") ?? "served").fetch("/");
        return req;
      }
    }
    const server = await startServer({ main: Asker, target: Target, guarded: Guarded }, { storage: "memory", placement });
    const guarded = connect(server.wsUrl("/parties/guarded/c?to=refused"));
    expect(await waitFor(guarded.closed, "the socket whose onBeforeConnect failed to close")).toEqual({ code: 1013, reason: REFUSAL });
    const fetched = connect(server.wsUrl("/elsewhere?to=refused"));
    expect(await waitFor(fetched.closed, "the socket whose onFetch failed to close")).toEqual({ code: 1013, reason: REFUSAL });
    // The same gate lets a socket through when the room it asks is served.
    const served = connect(server.wsUrl("/parties/guarded/c?to=served"));
    await served.opened;
  });

  it("in onConnect, and in onMessage of a party that closes on message errors: the socket is closed 1013 with the refusal, not 1011", async () => {
    const server = await startServer({ main: Asker, target: Target }, { storage: "memory", placement });
    const connecting = connect(server.wsUrl("/parties/main/b?to=refused"));
    expect(await waitFor(connecting.closed, "the socket whose onConnect failed to close")).toEqual({ code: 1013, reason: REFUSAL });
    const messaging = connect(server.wsUrl("/parties/main/b"));
    expect(await messaging.nth(0)).toBe("connected");
    messaging.ws.send("refused");
    expect(await waitFor(messaging.closed, "the socket whose onMessage failed to close")).toEqual({ code: 1013, reason: REFUSAL });
    expect(server.logs.filter((entry) => entry.level === "error")).toEqual([]);
  });

  it("in onMessage of a party that keeps the socket open (the default): logged at warn with the refusal's code, not as the code's fault", async () => {
    class Lenient extends Asker {
      override readonly options = { closeOnMessageError: false };
    }
    const server = await startServer({ main: Lenient, target: Target }, { storage: "memory", placement });
    const client = connect(server.wsUrl("/parties/main/d"));
    expect(await client.nth(0)).toBe("connected");
    client.send("refused");
    const entry = await server.logged("room.hook_failed");
    expect(entry).toMatchObject({ level: "warn", code: "ERR_ROOM_UNAVAILABLE", hook: "onMessage" });
    expect(server.logs.filter((logged) => logged.level === "error")).toEqual([]);
  });
});
