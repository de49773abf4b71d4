/**
 * A server that takes its client's frames while its `onConnect` runs (`holdMessagesUntilConnected: false`) lets the
 * client in at once, not once `onConnect` has settled: such an `onConnect` may be waiting for what the client sends
 * first (a token), which the client can send only after the 101. Timers stand still here, so the hold's bound
 * (`FIRST_WRITE_WAIT_MS`) never lets the client in: a held 101 is a test that times out.
 */
import { afterEach, expect, it, vi } from "vitest";
import type * as Party from "../../src/runtime/index.js";
import { cleanupAll, connect, startServer } from "../helpers/server.js";

afterEach(async () => {
  vi.useRealTimers();
  await cleanupAll();
});

/** Waits in onConnect for the client's first message, its token, and welcomes it by it. */
class TokenFirst implements Party.Server {
  readonly options = { holdMessagesUntilConnected: false };
  readonly #tokens = new Map<string, (token: string) => void>();
  constructor(readonly room: Party.Room) {}
  async onConnect(connection: Party.Connection): Promise<void> {
    const token = await new Promise<string>((resolve) => this.#tokens.set(connection.id, resolve));
    connection.send(`welcome ${token}`);
  }
  onMessage(message: string | ArrayBuffer, connection: Party.Connection): void {
    this.#tokens.get(connection.id)?.(String(message));
  }
}

it("an onConnect that waits for the client's first frame gets it: the client opened without waiting for onConnect", async () => {
  const { wsUrl } = await startServer({ main: TokenFirst }, { storage: "memory" });
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  const client = connect(wsUrl("/party/token-first?_pk=a"));
  await client.opened;
  client.send("secret");
  expect(await client.next()).toBe("welcome secret");
});
