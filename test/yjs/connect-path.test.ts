/**
 * What a connect to a Yjs room does, on a real server with raw `ws` clients: durable acks only for a socket that
 * asked with `?yparty_ack=1` (however its URL spells it), and a YServer's `onConnect` that hands the runtime no
 * promise once the document is loaded.
 */
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { ACK_PARAM, decodeMessage, encodeQueryAwareness, encodeUpdate } from "../../src/protocol/index.js";
import type * as Party from "../../src/runtime/index.js";
import { DocumentParty, YServer } from "../../src/yjs/index.js";
import { cleanupAll, connect, startServer, type Frame, type TestClient } from "../helpers/server.js";

afterEach(cleanupAll);

const typeOf = (frame: Frame): string => (typeof frame === "string" ? "text" : decodeMessage(frame).type);

function oneUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getText("t").insert(0, text);
  return encodeUpdate(Y.encodeStateAsUpdate(doc));
}

/** Waits until `client` has received a frame of `type` (from `from` on); returns its index. */
async function until(client: TestClient, type: string, from = 0): Promise<number> {
  for (let index = from; ; index++) if (typeOf(await client.nth(index)) === type) return index;
}

/**
 * Sends one update on a socket opened at `query` and tells whether the server acknowledged it. In memory an ack
 * follows its update's apply by a microtask; an observer seeing the update, then the writer's answer to a query
 * sent after that, means any ack is already on the writer's socket, before that answer.
 */
async function acked(query: string): Promise<boolean> {
  const server = await startServer({ main: DocumentParty }, { storage: "memory" });
  const room = `acks-${Math.random().toString(36).slice(2)}`;
  const observer = connect(server.wsUrl(`/parties/main/${room}`));
  const writer = connect(server.wsUrl(`/parties/main/${room}${query}`));
  await Promise.all([observer.opened, writer.opened]);
  await Promise.all([observer.nth(0), writer.nth(0)]); // greeted: sync step 1
  writer.send(oneUpdate("hello"));
  await until(observer, "update");
  writer.send(encodeQueryAwareness());
  const answer = await until(writer, "awareness");
  return writer.messages.slice(0, answer).some((frame) => typeOf(frame) === "durable-ack");
}

describe("durable acks are opt-in per socket", () => {
  it(`acks a socket that asked with ?${ACK_PARAM}=1, also with a percent-escaped name or among other parameters`, async () => {
    expect(await acked(`?${ACK_PARAM}=1`)).toBe(true);
    expect(await acked("?yparty%5Fack=1")).toBe(true);
    expect(await acked(`?_pk=abc&${ACK_PARAM}=1`)).toBe(true);
  });

  it(`does not ack a socket without the parameter, with ${ACK_PARAM}=0, or with only a longer name`, async () => {
    expect(await acked("")).toBe(false);
    expect(await acked("?_pk=abc")).toBe(false);
    expect(await acked(`?${ACK_PARAM}=0`)).toBe(false);
    expect(await acked(`?x${ACK_PARAM}=1`)).toBe(false);
  });
});

/** Records what YServer's own onConnect returned, connect by connect. */
const returned: unknown[] = [];
class RecordingDoc extends YServer {
  static override persist = { mode: "snapshot" } as const;
  override onConnect(connection: Party.Connection, ctx: Party.ConnectionContext): void | Promise<void> {
    const result = super.onConnect(connection, ctx);
    returned.push(result);
    return result;
  }
}

describe("YServer.onConnect", () => {
  it("returns a promise while the document loads, settled once the connection is greeted, and nothing once loaded", async () => {
    returned.length = 0;
    const server = await startServer({ main: RecordingDoc });
    const first = connect(server.wsUrl("/parties/main/loading"));
    await until(first, "sync-step1");
    expect(returned[0]).toBeInstanceOf(Promise);
    await expect(returned[0]).resolves.toBeUndefined();
    const second = connect(server.wsUrl("/parties/main/loading"));
    await until(second, "sync-step1");
    expect(returned).toHaveLength(2);
    expect(returned[1]).toBeUndefined();
  });
});
