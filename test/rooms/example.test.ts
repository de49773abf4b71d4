/** examples/rooms as a user runs it: `yparty dev --config examples/rooms/yparty.json`, raw clients over real sockets. */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { copyFixture, deferredCleanups, serveIn, repoRoot } from "../cli/helpers.js";
import { Mirror, rawClient } from "./helpers.js";
import type { TestServer } from "../helpers/server.js";

const defer = deferredCleanups(afterEach);

describe("examples/rooms under yparty dev", () => {
  it("serves the counter room type at /rooms: dev:<player> tokens, inc, echo, errors, cursor to the others", async () => {
    const project = await copyFixture("rooms", path.join(repoRoot, "examples"));
    defer(project.remove);
    const { cli, url } = await serveIn(defer, "dev", project.dir, ["--config", "yparty.json"]);
    expect(cli.stdout).toContain("yparty:rooms (rooms.ts)");
    const server = { wsUrl: (p: string) => url.replace(/^http/, "ws") + p } as TestServer;

    const refused = rawClient(server);
    await refused.client.opened;
    refused.send("handshake", { v: 1, codecs: ["json"], project_id: "example", token: "alice" });
    expect((await refused.client.closed).code).toBe(4401);

    const alice = rawClient(server, "msgpack");
    await alice.handshake({ token: "dev:alice" });
    const bob = rawClient(server);
    await bob.handshake({ token: "dev:bob" });
    const joined = await alice.request("room.join_or_create", { room_type: "counter" });
    await bob.request("room.join_or_create", { room_type: "counter" });
    const mirror = new Mirror();
    mirror.apply(await bob.expect("state.snapshot"));
    expect(mirror.state).toEqual({ count: 0, players: { alice: { joined: true }, bob: { joined: true } } });
    alice.send("room.message", { room: joined.room, type: "inc", data: { by: 42 } });
    alice.send("room.message", { room: joined.room, type: "inc", data: { by: 0 } });
    expect((await alice.expect("error")).p.reason).toMatch(/integer from 1 to 100/);
    while ((mirror.state as { count: number }).count < 42) mirror.apply(await bob.expect("state.patch"));
    alice.send("room.message", { room: joined.room, type: "echo", data: "hi" });
    expect((await alice.expect("room.message")).p).toEqual({ room: joined.room, type: "echo", data: "hi" });
    alice.send("room.message", { room: joined.room, type: "cursor", data: { x: 1, y: 2 } });
    expect((await bob.expect("room.message")).p).toEqual({ room: joined.room, type: "cursor", data: { x: 1, y: 2 } });
  });
});

describe("examples/rooms under yparty dev: reload", () => {
  it("a change to the room types reloads them: sessions rejoin their rooms by themselves (a fresh snapshot), the new code runs, the state is kept", async () => {
    const project = await copyFixture("rooms", path.join(repoRoot, "examples"));
    defer(project.remove);
    const { cli, url } = await serveIn(defer, "dev", project.dir, ["--config", "yparty.json"]);
    const server = { wsUrl: (p: string) => url.replace(/^http/, "ws") + p } as TestServer;
    const client = rawClient(server);
    await client.handshake({ token: "dev:ada" });
    await client.request("room.join_or_create", { room_type: "counter", room: "kept" });
    client.send("room.message", { room: "kept", type: "inc", data: { by: 3 } });
    await client.expect("state.patch", (p) => p.ops.some((op: { path: string }) => op.path === "/count"));

    const file = path.join(project.dir, "rooms.ts");
    await writeFile(file, (await readFile(file, "utf8")).replace('return this.send(sender, "echo", data);', 'return this.send(sender, "echo", { v2: data });'));
    await cli.waitFor(/dev\.reloaded/);
    // The first snapshot came with the join; the second is the rejoin after the reload.
    await client.expect("state.snapshot");
    const rejoined = await client.expect("state.snapshot", undefined, 20_000);
    expect(rejoined.p).toMatchObject({ room: "kept", state: { count: 3, players: { ada: { joined: true } } } });
    expect(client.received.filter((envelope) => envelope.t === "error")).toEqual([]);
    client.send("room.message", { room: "kept", type: "echo", data: 1 });
    expect((await client.expect("room.message")).p.data).toEqual({ v2: 1 });
  });
});

describe("the rooms config field", () => {
  it("takes a module (string) or {entry, path}; a path inside /parties/ or a missing module is refused, naming the field", async () => {
    const { resolveProject } = await import("../../src/cli/config/resolve.js");
    const { tempDir } = await import("../cli/helpers.js");
    const temp = await tempDir();
    defer(temp.remove);
    await writeFile(path.join(temp.dir, "rooms.ts"), "export default {};\n");
    const config = async (rooms: unknown) => {
      await writeFile(path.join(temp.dir, "yparty.json"), JSON.stringify({ rooms }));
      return resolveProject({ cwd: temp.dir });
    };
    expect((await config("rooms.ts")).rooms).toEqual({ entry: path.join(temp.dir, "rooms.ts"), path: "/rooms" });
    expect((await config({ entry: "rooms.ts", path: "/play" })).rooms).toEqual({ entry: path.join(temp.dir, "rooms.ts"), path: "/play" });
    await expect(config({ entry: "rooms.ts", path: "/parties/x" })).rejects.toThrow(/rooms\.path: "\/parties\/x" must start with "\/" and lie outside/);
    await expect(config("nope.ts")).rejects.toThrow(/rooms\.entry: file not found/);
  });
});
