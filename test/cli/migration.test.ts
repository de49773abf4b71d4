/**
 * Three PartyKit projects, copied unchanged (their imports still say `partykit/server` and `y-partykit`),
 * run by the real `yparty` binary.
 */
import * as yPartykitProvider from "y-partykit/provider";
import WebSocket from "ws";
import * as Y from "yjs";
import { afterEach, describe, expect, it } from "vitest";
import { copyFixture, deferredCleanups, runCli, serveIn } from "./helpers.js";
import { connectText, within, wsUrl } from "./ws-client.js";

// y-partykit ships CommonJS-style typings: its default export is the provider class at runtime (ESM build).
type ProviderClass = new (
  host: string,
  room: string,
  doc: Y.Doc,
  options: Record<string, unknown>,
) => {
  once(event: "synced", fn: () => void): void;
  destroy(): void;
};
const providerModule = yPartykitProvider as unknown as { default: ProviderClass & { default?: ProviderClass } };
const YPartyKitProvider: ProviderClass = providerModule.default.default ?? providerModule.default;

const defer = deferredCleanups(afterEach);
const start = (dir: string) => serveIn(defer, "start", dir);

async function project(fixture: string) {
  const copy = await copyFixture(fixture);
  defer(copy.remove);
  return copy.dir;
}
const connect = (url: string) => connectText(defer, url);

describe("moving a PartyKit project over", () => {
  it("class API (partykit.json, define, vars, an npm import) runs unchanged, and SIGTERM keeps room.storage", async () => {
    const dir = await project("class-api");
    const first = await start(dir);
    // `start` logs JSON lines when stdout is not a terminal.
    expect(first.cli.stdout.split("\n").find((line) => line.includes('"yparty.ready"'))).toMatch(/^\{.*"level":"info".*\}$/);
    const client = connect(wsUrl(first.url, "/parties/main/r1"));
    expect(await client.next((m) => m.startsWith("hello"))).toBe("hello v1 from r1 (earth) function");
    expect(await (await fetch(`${first.url}/parties/main/r1`)).json()).toEqual({ label: "v1", count: 1, room: "r1" });
    expect(await first.cli.stop("SIGTERM")).toBe(0);

    const second = await start(dir);
    expect(await (await fetch(`${second.url}/parties/main/r1`)).json()).toEqual({ label: "v1", count: 2, room: "r1" });
    expect(await second.cli.stop("SIGINT")).toBe(0);
  });

  it("legacy object API (`export default { onConnect, onRequest }`) runs unchanged; a throwing hook answers 500", async () => {
    const dir = await project("legacy-object");
    const { url } = await start(dir);
    const client = connect(wsUrl(url, "/parties/main/lobby"));
    expect(await client.next((m) => m.startsWith("legacy hello"))).toBe("legacy hello lobby");
    client.socket.send("ping");
    expect(await client.next((m) => m.startsWith("echo"))).toBe("echo: ping");
    expect(await (await fetch(`${url}/parties/main/lobby`)).text()).toBe("legacy GET lobby connections=1");
    const boom = await fetch(`${url}/parties/main/lobby/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).not.toContain("boom from the legacy party");
  });

  it("y-partykit's onConnect with persist and callback: the document survives SIGTERM and a restart", async () => {
    const dir = await project("y-partykit");
    const first = await start(dir);
    const watcher = connect(wsUrl(first.url, "/parties/main/notes"));
    await within(watcher.opened, 10_000, "the watcher socket");
    const doc = new Y.Doc();
    const provider = new YPartyKitProvider(first.url.replace("http://", ""), "notes", doc, { WebSocketPolyfill: WebSocket, disableBc: true });
    defer(() => provider.destroy());
    await within(new Promise<void>((resolve) => provider.once("synced", () => resolve())), 10_000, "the provider to sync");
    doc.getText("text").insert(0, "hello from y-partykit");
    // The debounced callback ran (it broadcasts after writing to room.storage).
    expect(await watcher.next((m) => m.startsWith("saved:"))).toBe("saved:hello from y-partykit");
    provider.destroy();
    expect(await first.cli.stop("SIGTERM")).toBe(0);

    const second = await start(dir);
    expect(await (await fetch(`${second.url}/parties/main/notes`)).json()).toEqual({ lastSaved: "hello from y-partykit" });
    const exported = await runCli(["export", "main/notes"], { cwd: dir });
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual({ text: "hello from y-partykit" });
  });
});
