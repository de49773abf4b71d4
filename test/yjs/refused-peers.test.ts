/**
 * A connection's updates go in exactly when it was not refused: a client that leaves while its room loads still
 * has every change applied (nested shared types too), and a client refused mid-burst has nothing after the refusal
 * applied.
 */
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { DocumentSession } from "../../src/yjs/session.js";
import { FakeClient, deferred, endOfRead } from "./support/fake-client.js";
import { capturingLogger, clients, sessions, stopAll } from "./support/sessions.js";

afterEach(stopAll);

describe("whose updates a room applies", () => {
  it("applies every change of a client that left before the room loaded, nested shared types included", async () => {
    const loaded = deferred();
    const session = new DocumentSession({ room: "cold", gc: true, logger: capturingLogger().logger, load: () => loaded.promise });
    sessions.push(session);
    const loading = session.load();
    const client = new FakeClient(session, "leaver");
    clients.push(client);
    session.attach(client);
    client.doc.getText("t").insert(0, "typed while it loaded");
    const item = new Y.Map<string>();
    client.doc.getArray<Y.Map<string>>("list").push([item]);
    item.set("kind", "paragraph");
    session.detach(client); // the tab closes before the room is ready
    loaded.resolve();
    await loading;
    expect(session.doc.getText("t").toString()).toBe("typed while it loaded");
    expect(session.doc.getArray<Y.Map<string>>("list").toJSON()).toEqual([{ kind: "paragraph" }]);
  });

  it("applies nothing a client sent after the update it was refused for, in the same burst", async () => {
    // A small size limit, near enough that admitting the burst's last update measures the document (which applies
    // the burst so far, refusing its first update).
    const session = new DocumentSession({ room: "burst", gc: true, logger: capturingLogger().logger, maxDocumentBytes: 4_000 });
    sessions.push(session);
    await session.load();
    session.doc.getText("t").observe((event) => {
      if (event.delta.some((op) => typeof op.insert === "string" && op.insert.includes("BAD"))) throw new Error("an observer refuses this");
    });
    const client = new FakeClient(session, "refused");
    clients.push(client);
    session.attach(client);
    client.doc.getText("t").insert(0, "y".repeat(3_500));
    await endOfRead();
    client.doc.getText("t").delete(0, 3_500);
    await endOfRead();
    client.doc.getText("t").insert(0, "BAD");
    client.doc.getText("t").insert(3, "x".repeat(500));
    await endOfRead();
    expect(client.closed?.code).toBe(1007);
    expect(session.doc.getText("t").toString()).not.toContain("x");
  });
});
