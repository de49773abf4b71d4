/**
 * Adversarial pre-session flood (helper 50). docs/game.md: "Messages sent right behind session.connect wait while
 * the token is checked". docs/runtime.md bounds what the server holds unread (`maxFrameBytesInFlight`: "messages held
 * while their room starts" are counted; past it the socket is closed 1013). A game socket whose token is still being
 * checked (a verifier that asks another service) is not even known to be a player: what it sends meanwhile must hit a
 * limit too, not be held whole until the verifier answers (an unauthenticated client could fill the heap).
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, waitFor } from "../helpers/server.js";
import example from "../../examples/game/game.js";
import { gameClient, startGame } from "./helpers.js";

afterEach(cleanupAll);

describe("frames behind a session.connect whose token is still being checked", () => {
  it("are not read meanwhile (TCP pushes back): 32 MiB are not held for the verifier, and what was read counts toward maxFrameBytesInFlight", async () => {
    let answer!: (player: string | null) => void;
    const verdict = new Promise<string | null>((resolve) => (answer = resolve));
    const server = await startGame({ ...example, verifyToken: () => verdict, server: { limits: { maxFrameBytesInFlight: 8 * 1024 * 1024 } } as never });
    const client = gameClient(server);
    await client.client.opened;
    client.send("session.connect", { token: "dev:mallory" }, "connect");
    const big = JSON.stringify({ type: "chat.send", payload: { channel_id: "lobby", content: "x".repeat(1024 * 1024) } });
    for (let i = 0; i < 32; i++) client.client.send(big);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      // The server read about one message and stopped: the rest waits at the client (kernel buffers hold a few MiB).
      expect(client.client.ws.bufferedAmount).toBeGreaterThan(16 * 1024 * 1024);
      answer(null); // refused: error, then 4401; nothing sent behind it is handled
      expect((await waitFor(client.client.closed, "the close after the refused token", 3_000)).code).toBe(4401);
    } finally {
      answer(null);
    }
  });
});
