/**
 * A hidden provider's wake-up calls (docs/provider.md, docs/protocol.md "Wake-up calls") attacked from the outside:
 * a page going hidden and visible hundreds of times while frames arrive sends one call per connection while one waits
 * (no flood) to yparty's server, and none to y-partykit's own `onConnect` (which sends no durable ack; it read the text
 * as an empty message and logged `Unexpected end of array`, once per connection). The page is simulated in Node:
 * `document.visibilityState` and `visibilitychange` events on the global scope, what provider/page-events.ts reads.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { onConnect as yPartykitOnConnect } from "y-partykit";
import type * as Party from "../../src/runtime/index.js";
import { YServer } from "../../src/yjs/index.js";
import { cleanupAll, startServer } from "../helpers/server.js";
import { converged, destroyProviders, makeProvider, synced } from "./support.js";

/** The page: hidden or visible, its `visibilitychange` dispatched on the global scope. */
function simulatedPage(): { set(state: "hidden" | "visible"): void; remove(): void } {
  const target = new EventTarget();
  const page = { visibilityState: "visible" };
  Object.assign(globalThis, {
    document: page,
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
  });
  return {
    set(state) {
      page.visibilityState = state;
      target.dispatchEvent(new Event("visibilitychange"));
    },
    remove() {
      for (const name of ["document", "addEventListener", "removeEventListener"]) Reflect.deleteProperty(globalThis, name);
    },
  };
}

let page: ReturnType<typeof simulatedPage> | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  destroyProviders();
  page?.remove();
  page = undefined;
  await cleanupAll();
});

/** Goes hidden and visible `times` times, a turn of the event loop between each, ending hidden; `other` edits meanwhile. */
async function flicker(times: number, edit: () => void): Promise<void> {
  for (let index = 0; index < times; index++) {
    page!.set(index % 2 === 0 ? "hidden" : "visible");
    if (index % 25 === 0) edit();
    await new Promise((resolve) => setImmediate(resolve));
  }
  page!.set("hidden");
}

/**
 * Runs the flicker against a server whose rooms record every text frame they get (`texts`): each connection's calls
 * are `calls` (one while one waits, or none).
 */
async function flickerAgainst(host: string, texts: () => string[], calls: string[]): Promise<void> {
  page = simulatedPage();
  const hidden = makeProvider(host, "flicker");
  const other = makeProvider(host, "flicker");
  hidden.awareness.setLocalStateField("user", "hidden");
  other.awareness.setLocalState(null); // in the same simulated page: it keeps no presence, so it makes no call
  await Promise.all([synced(hidden), synced(other)]);
  let edits = 0;
  await flicker(400, () => other.doc.getText("t").insert(0, `${edits++},`));
  await converged([hidden.doc], (doc) => doc.getText("t").toString(), other.doc.getText("t").toString());
  // One per connection: the 12 s answer has not come (the test takes less), and every later call would wait for it.
  expect(texts()).toEqual(calls);

  // A new connection asks again, once.
  hidden.disconnect();
  await hidden.connect();
  await synced(hidden);
  await flicker(100, () => other.doc.getText("t").insert(0, `${edits++},`));
  await converged([hidden.doc], (doc) => doc.getText("t").toString(), other.doc.getText("t").toString());
  expect(texts()).toEqual([...calls, ...calls]);
  hidden.doc.getText("t").insert(0, "back,");
  await converged([other.doc], (doc) => doc.getText("t").toString().slice(0, 5), "back,");
}

describe("a hidden provider flickering between hidden and visible", () => {
  it("against yparty: one wake-up call per connection while one waits", async () => {
    const texts: string[] = [];
    const Recorded = class extends YServer {
      override onMessage(message: string | ArrayBuffer | ArrayBufferView, connection: Party.Connection): void {
        if (typeof message === "string") texts.push(message);
        super.onMessage(message, connection);
      }
    };
    const server = await startServer({ main: Recorded }, { storage: "memory" });
    await flickerAgainst(`127.0.0.1:${server.server.port}`, () => texts, ["yparty-wake#12000"]);
  });

  it("against y-partykit's own onConnect: no call (it sends no durable ack), nothing logged, and the document syncs", async () => {
    const texts: string[] = [];
    const errors: unknown[] = [];
    vi.spyOn(console, "error").mockImplementation((error: unknown) => void errors.push(error));
    const yjsParty: Party.PartyKitServer = {
      onConnect(conn, room) {
        conn.addEventListener("message", (event: MessageEvent) => {
          if (typeof event.data === "string") texts.push(event.data);
        });
        return yPartykitOnConnect(conn as never, room as never);
      },
    };
    const server = await startServer({ main: yjsParty }, { storage: "memory" });
    await flickerAgainst(`127.0.0.1:${server.server.port}`, () => texts, []);
    // Before, one call per connection, which y-partykit read as `new Uint8Array(text)`: "Unexpected end of array".
    expect(errors).toEqual([]);
  });
});
