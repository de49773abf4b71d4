/**
 * A big paste over a slow uplink, alone in the room: the server answers nothing until it has read the whole message,
 * so the provider hears nothing for longer than its 30 s silence timeout while its bytes still go out. Dropping that
 * socket started the upload over on the next one, again and again: the paste was never saved. A real server behind a
 * TCP relay that passes the client's bytes at 40 kB/s.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startBackend, type Backend } from "./backend.js";
import { startSlowUplink } from "./slow-uplink.js";
import { destroyProviders, makeProvider, nextEvent, synced } from "./support.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  destroyProviders();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("provider on a slow uplink", () => {
  it("keeps the socket while a 1.4 MB change takes 35 s to go out, and the change is saved", async () => {
    const backend: Backend = await startBackend();
    cleanups.push(() => backend.close());
    const uplink = await startSlowUplink(backend.port, 40_000);
    cleanups.push(() => uplink.close());
    const provider = makeProvider(`127.0.0.1:${uplink.port}`, "slow-uplink", { disableBc: true });
    const statuses: string[] = [];
    provider.on("status", ({ status }) => statuses.push(status));
    await synced(provider);
    provider.doc.getText("t").insert(0, "pasted ".repeat(200_000));
    await nextEvent(provider, "unsynced-changes", (count: number) => count === 0, 80_000);
    expect(statuses).toEqual(["connecting", "connected"]);
  }, 100_000);
});
