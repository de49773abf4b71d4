import { afterEach, describe, expect, it } from "vitest";
import ChatServer, { legacy } from "./fixtures/partykit-chat.js";
import { cleanupAll, connect, refusedUpgrade, startServer } from "../helpers/server.js";

afterEach(cleanupAll);

describe("PartyKit code with only the import path changed", () => {
  it("runs the PartyKit-style chat server: auth, tags, state, storage, broadcast, onFetch via lobby.parties", async () => {
    const first = await startServer({ main: ChatServer, legacy }, { vars: { GREETING: "hi" } });
    expect(await refusedUpgrade(first.wsUrl("/party/lobby"))).toEqual({ status: 401, body: "Unauthorized: who are you?" });

    const admin = connect(first.wsUrl("/party/lobby?name=admin&_pk=root"));
    expect(JSON.parse((await admin.next()) as string)).toEqual({ type: "count", count: 1 });
    const guest = connect(first.wsUrl("/party/lobby?name=guest&_pk=g1"));
    expect(JSON.parse((await guest.next()) as string)).toEqual({ type: "count", count: 2 });
    expect(JSON.parse((await admin.next()) as string)).toEqual({ type: "count", count: 2 });

    guest.send("hello all");
    expect(JSON.parse((await admin.next()) as string)).toEqual({ type: "chat", from: "guest@lobby", text: "hello all" });
    expect(await admin.next()).toBe("audit: g1");

    await fetch(`${first.url}/party/lobby`, { method: "POST", body: JSON.stringify({ text: "from http" }) });
    expect(JSON.parse((await guest.next()) as string)).toEqual({ type: "chat", from: "http", text: "from http" });
    expect(await (await fetch(`${first.url}/stats`)).text()).toBe('lobby says: {"messages":1,"env":"hi"}');

    const legacyClient = connect(first.wsUrl("/parties/legacy/x?_pk=old"));
    await legacyClient.opened;
    legacyClient.send("yo");
    expect(await legacyClient.next()).toBe("old says yo (GET)");

    // onStart reloads the stored messages after a restart.
    const second = await first.restart();
    expect(await (await fetch(`${second.url}/party/lobby`)).json()).toEqual({ messages: 1, env: "hi" });
  });
});
