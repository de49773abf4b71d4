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
  it("past maxFrameBytesInFlight (8 MiB here), the socket is closed; 32 MiB are not held for the verifier", async () => {
    let answer!: (player: string | null) => void;
    const verdict = new Promise<string | null>((resolve) => (answer = resolve));
    const server = await startGame({ ...example, verifyToken: () => verdict, server: { limits: { maxFrameBytesInFlight: 8 * 1024 * 1024 } } as never });
    const client = gameClient(server);
    await client.client.opened;
    client.send("session.connect", { token: "dev:mallory" }, "connect");
    const big = JSON.stringify({ type: "chat.send", payload: { channel_id: "lobby", content: "x".repeat(1024 * 1024) } });
    for (let i = 0; i < 32; i++) client.client.send(big);
    try {
      const { code } = await waitFor(client.client.closed, "the server to close the flooding socket", 3_000);
      expect([1009, 1013, 4400]).toContain(code);
    } finally {
      answer(null);
    }
  });
});
