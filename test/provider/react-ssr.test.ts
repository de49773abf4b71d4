/**
 * useYProvider in a server render (react-dom/server, no window, no effects): the page renders with the
 * provider, opens no socket, and the provider and its Awareness timer are destroyed afterwards instead of
 * leaking one per request.
 */
import http from "node:http";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { YPartyKitProvider } from "../../provider/index.js";
import { useYProvider } from "../../provider/react.js";
import { listen, nextEvent, type TestHttpServer } from "./support.js";

let server: TestHttpServer | undefined;
afterEach(async () => server?.close());

describe("useYProvider in a server render", () => {
  it("renders, connects to nothing, and destroys the provider and its Awareness afterwards", async () => {
    let upgrades = 0;
    const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
    httpServer.on("upgrade", (_req, socket) => {
      upgrades++;
      socket.destroy();
    });
    server = await listen(httpServer);
    const made: YPartyKitProvider[] = [];
    function Room() {
      const provider = useYProvider({ host: `127.0.0.1:${server!.port}`, room: "ssr", doc: new Y.Doc(), options: { disableBc: true } });
      made.push(provider);
      return createElement("p", null, `room ${provider.roomname}`);
    }
    expect(renderToString(createElement(Room))).toBe("<p>room ssr</p>");
    expect(made).toHaveLength(1);
    const provider = made[0]!;
    await nextEvent(provider.awareness as never, "destroy");
    expect(provider.destroyed).toBe(true);
    expect(provider.wsconnected).toBe(false);
    expect(upgrades).toBe(0);
  });
});
