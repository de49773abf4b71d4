/**
 * PartyKit's chat-room template makes `new Ai(room.context.ai)` (partykit-ai over @cloudflare/ai) and runs a model for
 * each message. yparty's `ai` was an empty object, so each message failed deep inside the library with "this.binding.fetch
 * is not a function". The Cloudflare-only bindings (ai, vectorize, bindings.r2/kv) now wire up as on PartyKit and their
 * first call throws BindingUnavailableError: what yparty lacks and what to use instead.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, projectWith, serveIn } from "./helpers.js";
import { connectText, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);

/** The template's party, with partykit-ai's Ai written out as the package has it (its constructor, @cloudflare/ai's run). */
const chatRoom = `
class Ai {
  constructor(options) {
    if (!options) throw new Error("You should pass room.context.ai as the first argument");
    const { binding, ...rest } = options;
    this.binding = binding || {};
    this.options = rest;
  }
  async run(model, inputs) {
    const res = await this.binding.fetch("http://workers-binding.ai/run", { method: "POST", body: JSON.stringify(inputs), headers: { "cf-consn-model-id": model } });
    return (await res.json()).result;
  }
}

export default class ChatServer {
  constructor(room) {
    this.room = room;
    this.ai = new Ai(room.context.ai);
  }
  onConnect(connection) {
    connection.send("history");
  }
  async onMessage(message, sender) {
    this.room.broadcast(message, [sender.id]);
    const reply = await this.ai.run("@hf/thebloke/neural-chat-7b-v3-1-awq", { messages: [{ role: "user", content: message }] });
    this.room.broadcast(reply.response);
  }
  // The Workers binding's own API (env.AI.run), Vectorize and KV, each called as a Worker would.
  static async onFetch(request, lobby) {
    const calls = {
      ai: () => lobby.ai.run("@cf/meta/llama-3-8b-instruct", { prompt: "hi" }),
      vectorize: () => lobby.vectorize.docs.query([0.1, 0.2], { topK: 1 }),
      kv: () => lobby.bindings.kv.CACHE.get("key"),
    };
    // Printing or passing them on is no call: it works.
    if (new URL(request.url).pathname === "/print") return new Response(\`\${lobby.ai} \${JSON.stringify(lobby.bindings)}\`);
    const call = calls[new URL(request.url).pathname.slice(1)];
    if (!call) return new Response("no such call", { status: 404 });
    try {
      await call();
      return new Response("answered");
    } catch (error) {
      return new Response(error.name + " " + error.code + ": " + error.message);
    }
  }
}
`;

describe("Cloudflare-only bindings on yparty", () => {
  it("the chat-room template's Ai fails at its call with what to do, and the room keeps relaying messages", async () => {
    const dir = await projectWith(defer, { "partykit.json": JSON.stringify({ name: "chat", main: "server.ts" }), "server.ts": chatRoom });
    const { cli, url } = await serveIn(defer, "dev", dir, ["--no-persist"]);
    const alice = connectText(defer, wsUrl(url, "/party/lobby?_pk=alice"));
    const bob = connectText(defer, wsUrl(url, "/party/lobby?_pk=bob"));
    await alice.next((m) => m === "history");
    await bob.next((m) => m === "history");

    alice.socket.send("hello AI");
    expect(await bob.next((m) => m === "hello AI")).toBe("hello AI");
    const [logged] = await cli.waitFor(/ai\.binding\.fetch\(\) was called[^\n]*/);
    expect(logged).toContain("Workers AI (room.context.ai, lobby.ai) is a Cloudflare binding that yparty (on Node) does not have");
    expect(logged).toContain("Call your model provider's HTTP API with fetch()");
    expect(logged).toContain("--var KEY=VALUE or a line in .env, read as room.env.KEY");

    const answers = Object.fromEntries(
      await Promise.all(["ai", "vectorize", "kv"].map(async (name) => [name, await (await fetch(`${url}/${name}`)).text()] as const)),
    );
    expect(answers.ai).toMatch(/^BindingUnavailableError ERR_BINDING_UNAVAILABLE: ai\.run\(\) was called, but Workers AI /);
    expect(answers.vectorize).toMatch(/^BindingUnavailableError ERR_BINDING_UNAVAILABLE: vectorize\.docs\.query\(\) was called, but Vectorize /);
    expect(answers.vectorize).toContain("PostgreSQL with pgvector");
    expect(answers.kv).toMatch(/^BindingUnavailableError ERR_BINDING_UNAVAILABLE: bindings\.kv\.CACHE\.get\(\) was called, but Workers KV /);
    expect(answers.kv).toContain("room.storage");

    expect(await (await fetch(`${url}/print`)).text()).toBe('[ai: Workers AI (room.context.ai, lobby.ai) is not available on yparty] {"r2":{},"kv":{}}');

    // The room is still there: the next message reaches Bob too.
    alice.socket.send("still here");
    expect(await bob.next((m) => m === "still here")).toBe("still here");
  });
});
