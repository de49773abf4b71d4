import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deferredCleanups, serveFixture } from "./helpers.js";
import { connectText, within, wsUrl } from "./ws-client.js";

const defer = deferredCleanups(afterEach);
const devServer = (fixture: string) => serveFixture(defer, "dev", fixture);
const connect = (url: string) => connectText(defer, url);

describe("yparty dev", () => {
  it("prints a banner with the URL, the parties and the data folder", async () => {
    const { cli, url } = await devServer("class-api");
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cli.stdout).toContain("parties  main (src/server.ts)");
    expect(cli.stdout).toContain("data     .yparty (LevelDB)");
    expect(cli.stdout).toMatch(/admin    token \S+ \(saved in \.yparty\/server\.json/);
    expect(cli.output).toContain("Ignoring PartyKit platform fields");
  });

  it("reloads on a file change: sockets close with 1012, the new code answers, storage is kept", async () => {
    const { dir, cli, url } = await devServer("class-api");
    const first = await (await fetch(`${url}/parties/main/room-a`)).json();
    expect(first).toEqual({ label: "v1", count: 1, room: "room-a" });

    const client = connect(wsUrl(url, "/parties/main/room-a"));
    expect(await client.next((m) => m.startsWith("hello"))).toBe("hello v1 from room-a (earth) function");

    const labelFile = path.join(dir, "src", "label.ts");
    await writeFile(labelFile, (await readFile(labelFile, "utf8")).replace('"v1"', '"v2"'));
    const closed = await within(client.closed, 15_000, "the reload to close the socket");
    expect(closed.code).toBe(1012);
    await cli.waitFor(/dev\.reloaded/);

    const again = connect(wsUrl(url, "/parties/main/room-a"));
    expect(await again.next((m) => m.startsWith("hello"))).toBe("hello v2 from room-a (earth) function");
    // room.storage survived the reload: the counter goes on.
    expect(await (await fetch(`${url}/parties/main/room-a`)).json()).toEqual({ label: "v2", count: 2, room: "room-a" });
  });

  it("a build error is printed and the last good build keeps serving", async () => {
    const { dir, cli, url } = await devServer("class-api");
    const serverFile = path.join(dir, "src", "server.ts");
    const good = await readFile(serverFile, "utf8");
    const mark = cli.output.length;
    await writeFile(serverFile, good.replace("export default class Server", "export default class Server {{"));
    await cli.waitFor(/Still serving the last good build\. The server code failed to build:/, 15_000, mark);
    expect(cli.output.slice(mark)).toMatch(/src\/server\.ts:\d+:\d+/);
    expect(await (await fetch(`${url}/parties/main/still-up`)).json()).toMatchObject({ label: "v1", count: 1 });

    // Fixing the file brings the new build in.
    await writeFile(serverFile, good.replace("count, room:", "count, fixed: true, room:"));
    await cli.waitFor(/dev\.reloaded/, 15_000, mark);
    expect(await (await fetch(`${url}/parties/main/still-up`)).json()).toMatchObject({ fixed: true, count: 2 });
  });
});
